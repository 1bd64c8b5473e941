import { Hono } from "hono";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requireAccess, teamDomainUrl } from "../src/middleware/access.ts";
import type { AppEnv, Env } from "../src/types.ts";
import { accessToken, BASE, fetchWithEnv, leakedSecrets } from "./helpers.ts";
import { BROKEN_KINDS } from "../../emulators/access/broken-kinds.ts";

const TEAM = "https://moltlab-test.cloudflareaccess.com";

/** /api/status: authenticated, and it never wakes the container. */
const status = (headers: Record<string, string>) =>
  exports.default.fetch(new Request(`${BASE}/api/status`, { headers: { accept: "application/json", ...headers } }));

describe("Cloudflare Access", () => {
  it.each(BROKEN_KINDS)("rejects a %s token with 401", async (kind) => {
    const token = await accessToken(`broken/${kind}`);
    const response = await status({ "CF-Access-JWT-Assertion": token });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: string; reason: string };
    expect(body.error).toMatch(/invalid Cloudflare Access token/);
    expect(JSON.stringify(body)).not.toContain(token);
  });

  it("rejects a broken token in the cookie too", async () => {
    const response = await status({ cookie: `CF_Authorization=${await accessToken("broken/expired")}` });
    expect(response.status).toBe(401);
  });

  it("accepts a valid token in the CF-Access-JWT-Assertion header", async () => {
    const response = await status({ "CF-Access-JWT-Assertion": await accessToken() });
    expect(response.status).toBe(200);
  });

  it("accepts a valid token in the CF_Authorization cookie", async () => {
    const response = await status({ cookie: `theme=dark; CF_Authorization=${await accessToken()}; other=1` });
    expect(response.status).toBe(200);
  });

  it("accepts the JWT Access issues for a service token (no email, common_name)", async () => {
    const response = await status({ "CF-Access-JWT-Assertion": await accessToken("service") });
    expect(response.status).toBe(200);
  });

  it("prefers the header over the cookie", async () => {
    const response = await status({ "CF-Access-JWT-Assertion": await accessToken("broken/bad-signature"), cookie: `CF_Authorization=${await accessToken()}` });
    expect(response.status).toBe(401);
  });

  it("redirects a browser without a token to the team domain's login, returning here", async () => {
    const response = await exports.default.fetch(
      new Request(`${BASE}/some/page?x=1`, { headers: { accept: "text/html,application/xhtml+xml" }, redirect: "manual" }),
    );
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location")!);
    expect(location.origin).toBe(TEAM);
    expect(location.pathname).toBe("/cdn-cgi/access/login/moltbot.example.com");
    expect(location.searchParams.get("redirect_url")).toBe(`${BASE}/some/page?x=1`);
    expect(leakedSecrets(response.headers.get("location")!)).toEqual([]);
  });

  it("answers 401 JSON to an API client without a token", async () => {
    const response = await status({});
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
  });

  it("answers 401 (not a redirect loop) to a browser with an invalid token", async () => {
    const response = await exports.default.fetch(
      new Request(`${BASE}/`, { headers: { accept: "text/html", cookie: `CF_Authorization=${await accessToken("broken/expired")}` } }),
    );
    expect(response.status).toBe(401);
  });

  it("prepends https:// to a bare team domain (Cloudflare's form) and still verifies", async () => {
    const request = new Request(`${BASE}/api/status`, { headers: { accept: "application/json", "CF-Access-JWT-Assertion": await accessToken() } });
    const response = await fetchWithEnv(request, { CF_ACCESS_TEAM_DOMAIN: "moltlab-test.cloudflareaccess.com" });
    expect(response.status).toBe(200);
  });

  it.each([
    ["with a token", { "CF-Access-JWT-Assertion": "x.y.z" }],
    ["without one (no login redirect to build)", { accept: "text/html" }],
  ])("answers 500 naming CF_ACCESS_TEAM_DOMAIN when it is not a host name, %s", async (_, headers) => {
    const response = await fetchWithEnv(new Request(`${BASE}/api/status`, { headers }), { CF_ACCESS_TEAM_DOMAIN: "my team" });
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: string }).error).toMatch(/CF_ACCESS_TEAM_DOMAIN must be a host name/);
  });

  it("uses a team domain with a scheme as it is", () => {
    expect(teamDomainUrl("http://127.0.0.1:41234")).toBe("http://127.0.0.1:41234");
    expect(teamDomainUrl("http://127.0.0.1:41234/")).toBe("http://127.0.0.1:41234");
    expect(teamDomainUrl("myteam.cloudflareaccess.com")).toBe("https://myteam.cloudflareaccess.com");
  });

  it("answers 500 when Access is not configured and nothing bypasses it", async () => {
    const app = new Hono<AppEnv>();
    app.use("*", async (c, next) => {
      c.set("devMode", { bypass: false });
      await next();
    });
    app.use("*", requireAccess);
    app.get("/", (c) => c.text("reached"));
    const response = await app.fetch(new Request("https://moltbot.example.com/"), { CF_ACCESS_AUD: "aud" } as Env);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("CF_ACCESS_TEAM_DOMAIN");
  });
});

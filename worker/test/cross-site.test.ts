import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { allowedOrigins, crossSiteRefusal } from "../src/middleware/cross-site.ts";
import type { Env } from "../src/types.ts";
import { accessToken, authed, BASE, fetchWithEnv, freshSandbox, inSandbox } from "./helpers.ts";

let token: string;
beforeAll(async () => {
  token = await accessToken();
});
beforeEach(async () => {
  await freshSandbox();
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

const EVIL = "https://evil.example";
const ADMIN_POSTS = ["/api/admin/devices/approve-all", "/api/admin/devices/req-1/approve", "/api/admin/storage/sync", "/api/admin/gateway/restart"];

/** What the fake container has been asked so far. */
const containerCalls = () =>
  inSandbox((sandbox) => ({
    starts: sandbox.fake.starts,
    signals: [...sandbox.fake.signals],
    gateway: sandbox.fake.gatewayRequests.length,
    control: sandbox.fake.controlRequests.length,
    pending: sandbox.fake.devices.pending.length,
  }));

/** A signed-in request through the Worker with extra environment (ALLOWED_ORIGINS, WORKER_URL). */
const authedWithEnv = (path: string, init: RequestInit, overrides: Partial<Env>) => {
  const headers = new Headers(init.headers);
  headers.set("CF-Access-JWT-Assertion", token);
  headers.set("accept", "application/json");
  return fetchWithEnv(new Request(`${BASE}${path}`, { ...init, headers }), overrides);
};

describe("cross-site requests with an Access session", () => {
  it.each(ADMIN_POSTS)("refuses POST %s from a foreign Origin with 403, before the container", async (path) => {
    await authed("/warm-up", {}, token); // running, so a POST that got through would reach it
    const before = await containerCalls();
    const response = await authed(path, { method: "POST", headers: { origin: EVIL } }, token);
    expect(response.status).toBe(403);
    const body = (await response.json()) as { error: string };
    expect(body.error).toContain(`origin ${EVIL}`);
    expect(body.error).toMatch(/add https:\/\/evil\.example to ALLOWED_ORIGINS .* and retry\.$/);
    expect(await containerCalls()).toEqual(before);
  });

  it("refuses a WebSocket upgrade from a foreign Origin with a 403 text, and opens nothing upstream", async () => {
    const response = await authed("/", { headers: { upgrade: "websocket", origin: EVIL } }, token);
    expect(response.status).toBe(403);
    expect(response.webSocket).toBeNull();
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await response.text()).toMatch(
      /^Cross-site request refused: origin https:\/\/evil\.example may not send a WebSocket upgrade to \/ .*ALLOWED_ORIGINS/,
    );
    expect(await containerCalls()).toMatchObject({ starts: 0, gateway: 0 });
  });

  it("treats Origin: null as foreign", async () => {
    const response = await authed("/api/admin/gateway/restart", { method: "POST", headers: { origin: "null" } }, token);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toContain('origin "null"');
  });

  it("refuses a cross-site request without Origin (Sec-Fetch-Site), and lets same-origin and none through", async () => {
    const refused = await authed("/api/admin/devices/approve-all", { method: "POST", headers: { "sec-fetch-site": "cross-site" } }, token);
    expect(refused.status).toBe(403);
    for (const site of ["same-origin", "none"]) {
      const response = await authed("/api/admin/devices/approve-all", { method: "POST", headers: { "sec-fetch-site": site } }, token);
      expect(response.status, site).toBe(200);
    }
  });

  it("allows the Worker's own origin, for POSTs and WebSocket upgrades", async () => {
    const post = await authed("/api/admin/devices/req-1/approve", { method: "POST", headers: { origin: BASE } }, token);
    expect(post.status).toBe(200);
    const upgrade = await authed("/", { headers: { upgrade: "websocket", origin: BASE } }, token);
    expect(upgrade.status).toBe(101);
    upgrade.webSocket!.accept();
    upgrade.webSocket!.close(1000, "done");
  });

  it("allows the origins in ALLOWED_ORIGINS and WORKER_URL's", async () => {
    const env = { ALLOWED_ORIGINS: "https://admin.example.org, http://127.0.0.1:9000/", WORKER_URL: "https://moltbot.example.net/some/path" };
    for (const origin of ["https://admin.example.org", "http://127.0.0.1:9000", "https://moltbot.example.net"]) {
      const response = await authedWithEnv("/api/admin/devices/req-1/approve", { method: "POST", headers: { origin } }, env);
      expect(response.status, origin).not.toBe(403);
    }
    expect((await authedWithEnv("/api/admin/gateway/restart", { method: "POST", headers: { origin: EVIL } }, env)).status).toBe(403);
  });

  it("leaves GET requests alone, whatever their Origin", async () => {
    const response = await authed("/api/admin/devices", { headers: { origin: EVIL, "sec-fetch-site": "cross-site" } }, token);
    expect(response.status).toBe(200);
  });

  it("lets clients that send neither Origin nor Sec-Fetch-Site (curl, SDKs) POST as before", async () => {
    expect((await authed("/api/admin/devices/req-1/approve", { method: "POST" }, token)).status).toBe(200);
  });

  it("still answers 401 before anything else to a request without Access", async () => {
    const response = await fetchWithEnv(
      new Request(`${BASE}/api/admin/gateway/restart`, { method: "POST", headers: { origin: EVIL, accept: "application/json" } }),
      {},
    );
    expect(response.status).toBe(401);
  });
});

describe("allowed origins", () => {
  it("are the request's own, WORKER_URL's and ALLOWED_ORIGINS', normalised; other entries are reported", () => {
    const env = { WORKER_URL: "https://w.example.com/cdp", ALLOWED_ORIGINS: " https://A.example.com:443/ ,not an origin,, http://x.test:8080" } as Env;
    const { origins, invalid } = allowedOrigins(env, "http://127.0.0.1:8787/api");
    expect([...origins]).toEqual(["http://127.0.0.1:8787", "https://w.example.com", "https://a.example.com", "http://x.test:8080"]);
    expect(invalid).toEqual(["not an origin"]);
  });

  it("apply to every method but GET, HEAD, OPTIONS and TRACE, and to upgrades", () => {
    const allowed = new Set(["https://moltbot.example.com"]);
    const request = (method: string, headers: Record<string, string> = {}) => new Request(`${BASE}/x`, { method, headers: { origin: EVIL, ...headers } });
    for (const method of ["POST", "PUT", "PATCH", "DELETE", "PROPFIND"]) expect(crossSiteRefusal(request(method), allowed), method).not.toBeNull();
    for (const method of ["GET", "HEAD", "OPTIONS"]) expect(crossSiteRefusal(request(method), allowed), method).toBeNull();
    expect(crossSiteRefusal(request("GET", { upgrade: "websocket" }), allowed)).not.toBeNull();
  });
});

/**
 * SANDBOX_WEB_SERVICES: the user's own web services in the container, each on its hostname,
 * behind Access like the gateway (the bindings name board.example.com=8080).
 */
import { exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { accessToken, BASE, fetchWithEnv, freshSandbox, inSandbox, leakedSecrets } from "./helpers.ts";

const BOARD = "https://board.example.com";

beforeEach(freshSandbox);

async function toBoard(path: string, token?: string | null): Promise<Response> {
  const headers = new Headers({ accept: "text/plain" });
  if (token !== null) headers.set("CF-Access-JWT-Assertion", token ?? (await accessToken()));
  return exports.default.fetch(new Request(`${BOARD}${path}`, { headers }));
}

describe("your own web services (SANDBOX_WEB_SERVICES)", () => {
  it("sends everything on the service's hostname to its port, waking the container, without Access's credentials", async () => {
    await inSandbox((sandbox) => {
      sandbox.fake.webServicePort = 8080;
    });
    // /api/status too: on this hostname every path is the service's.
    for (const path of ["/", "/api/status"]) {
      const response = await toBoard(path);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(`board: GET ${path}`);
    }
    const seen = await inSandbox((sandbox) => ({
      starts: sandbox.fake.starts,
      requests: sandbox.fake.webServiceRequests,
      gateway: sandbox.fake.gatewayRequests,
    }));
    expect(seen.starts).toBe(1);
    expect(seen.gateway).toEqual([]);
    expect(seen.requests.map((request) => request.headers["cf-access-jwt-assertion"])).toEqual([undefined, undefined]);
    // The gateway's hostname is unchanged.
    const status = await exports.default.fetch(new Request(`${BASE}/api/status`, { headers: { "CF-Access-JWT-Assertion": await accessToken() } }));
    expect(((await status.json()) as { status: string }).status).toBe("running");
  });

  it("is behind Access: no token, no service, and the container is not started", async () => {
    await inSandbox((sandbox) => {
      sandbox.fake.webServicePort = 8080;
    });
    const response = await toBoard("/", null);
    expect(response.status).toBe(401);
    expect(await inSandbox((sandbox) => ({ starts: sandbox.fake.starts, requests: sandbox.fake.webServiceRequests.length }))).toEqual({
      starts: 0,
      requests: 0,
    });
  });

  it("answers 502 naming the port and the fix when nothing listens there", async () => {
    const response = await toBoard("/");
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: string; fix: string };
    expect(body.error).toContain("port 8080");
    expect(body.fix).toContain("SANDBOX_WEB_SERVICES");
  });

  it("refuses to serve while the setting cannot be read, naming the fix, and starts nothing", async () => {
    for (const value of ["board.example.com", "board.example.com=18789", "a.example.com=1,a.example.com=2", "bad host=80"]) {
      const response = await fetchWithEnv(
        new Request(`${BOARD}/`, { headers: { "CF-Access-JWT-Assertion": await accessToken(), accept: "application/json" } }),
        {
          SANDBOX_WEB_SERVICES: value,
        },
      );
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(text).toContain("SANDBOX_WEB_SERVICES");
      expect(leakedSecrets(text)).toEqual([]);
    }
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(0);
  });
});

import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accessToken, authed, BASE, fetchWithEnv, freshSandbox, inSandbox, leakedSecrets } from "./helpers.ts";

let token: string;
beforeAll(async () => {
  token = await accessToken();
});
beforeEach(freshSandbox);

const call = (method: string, path: string) => authed(path, { method }, token);

describe("/api/admin", () => {
  it("lists devices through the supervisor's control API with the gateway token as bearer", async () => {
    const response = await call("GET", "/api/admin/devices");
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ pending: [{ requestId: "req-1" }, { requestId: "req-2" }], paired: [] });
    expect(leakedSecrets(text)).toEqual([]);
    const control = await inSandbox((sandbox) => sandbox.fake.controlRequests.find((r) => r.url.endsWith("/devices"))!);
    expect(control.headers.authorization).toBe(`Bearer ${env.MOLTBOT_GATEWAY_TOKEN}`);
    expect(new URL(control.url).pathname).toBe("/devices");
  });

  it("approves one device, then all remaining ones", async () => {
    expect((await call("POST", "/api/admin/devices/req-1/approve")).status).toBe(200);
    expect(await inSandbox((sandbox) => sandbox.fake.devices.paired.map((d) => d.requestId))).toEqual(["req-1"]);
    const all = await call("POST", "/api/admin/devices/approve-all");
    expect(await all.json()).toEqual({ approved: ["req-2"], failed: [] });
    expect(await inSandbox((sandbox) => sandbox.fake.devices.pending)).toEqual([]);
  });

  it("passes a failed approval on", async () => {
    const response = await call("POST", "/api/admin/devices/no-such-request/approve");
    expect(response.status).toBe(502);
  });

  it("reports storage without waking a stopped container", async () => {
    const response = await call("GET", "/api/admin/storage");
    expect(await response.json()).toMatchObject({ configured: true, missing: [], bucket: "moltbot-data", containerRunning: false, lastSync: null });
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(0);
  });

  it("backs up now and shows the backup in the storage status", async () => {
    await call("GET", "/warm-up");
    expect((await call("POST", "/api/admin/storage/sync")).status).toBe(200);
    const storage = await call("GET", "/api/admin/storage");
    expect(await storage.json()).toMatchObject({ configured: true, containerRunning: true, lastSync: "2026-11-20T10:00:00.000Z" });
  });

  it("says R2 is not configured when its credentials are missing", async () => {
    const request = new Request(`${BASE}/api/admin/storage`, { headers: { "CF-Access-JWT-Assertion": token } });
    const response = await fetchWithEnv(request, { R2_ACCESS_KEY_ID: undefined, R2_SECRET_ACCESS_KEY: undefined, CF_ACCOUNT_ID: undefined });
    expect(await response.json()).toMatchObject({ configured: false, missing: ["R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "CF_ACCOUNT_ID"] });
  });

  it("restarts the gateway: graceful stop, then a fresh start", async () => {
    await call("GET", "/warm-up");
    const response = await call("POST", "/api/admin/gateway/restart");
    expect(response.status).toBe(202);
    expect((await call("GET", "/after-restart")).status).toBe(200);
    const fake = await inSandbox((sandbox) => ({ signals: sandbox.fake.signals, starts: sandbox.fake.starts }));
    expect(fake).toEqual({ signals: [15], starts: 2 });
    expect(await inSandbox((sandbox) => sandbox.status())).toMatchObject({ lastStop: { reason: "restart", graceful: true }, crashes: 0 });
  });

  it("shows container state and boot phases for the admin page", async () => {
    await call("GET", "/warm-up");
    const state = (await (await call("GET", "/api/admin/state")).json()) as { status: string; phases: Record<string, { durationMs: number }> | null };
    expect(state.status).toBe("running");
    // The phases arrive from the supervisor after readiness; ask again until the DO has them.
    expect(state.phases === null || state.phases.restore?.durationMs === 1200).toBe(true);
    const again = (await (await call("GET", "/api/admin/state")).json()) as { phases: Record<string, { durationMs: number }> };
    expect(again.phases).toMatchObject({ restore: { durationMs: 1200 }, config: { durationMs: 40 }, gateway: { durationMs: 9000 } });
  });

  it("needs Access", async () => {
    const response = await authed("/api/admin/devices", {}, await accessToken("broken/wrong-audience"));
    expect(response.status).toBe(401);
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(0);
  });
});

describe("/debug", () => {
  it("does not exist unless DEBUG_ROUTES=true", async () => {
    expect((await authed("/debug/env", {}, token)).status).toBe(404);
  });

  it("shows which variables are set, never their values", async () => {
    const request = new Request(`${BASE}/debug/env`, { headers: { "CF-Access-JWT-Assertion": token } });
    const response = await fetchWithEnv(request, { DEBUG_ROUTES: "true" });
    expect(response.status).toBe(200);
    const text = await response.text();
    const body = JSON.parse(text) as { worker: Record<string, boolean>; container: string[] };
    expect(body.worker.MOLTBOT_GATEWAY_TOKEN).toBe(true);
    expect(body.worker.OPENAI_API_KEY).toBeUndefined();
    expect(body.container).toContain("OPENCLAW_GATEWAY_TOKEN");
    expect(leakedSecrets(text)).toEqual([]);
  });

  it("still needs Access with DEBUG_ROUTES=true", async () => {
    const response = await fetchWithEnv(new Request(`${BASE}/debug/env`, { headers: { accept: "application/json" } }), { DEBUG_ROUTES: "true" });
    expect(response.status).toBe(401);
  });
});

import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accessToken, authed, freshSandbox, inSandbox, sandboxStub } from "./helpers.ts";
import { deferred } from "./fake-container.ts";

let token: string;
beforeAll(async () => {
  token = await accessToken();
});
beforeEach(freshSandbox);

const get = (path: string, accept = "application/json") => authed(path, { headers: { accept } }, token);

describe("Sandbox Durable Object lifecycle (fake ctx.container through the production driver)", () => {
  it("starts the container once for 10 concurrent first requests", async () => {
    await inSandbox((sandbox) => sandbox.fake.holdReady());
    const requests = Array.from({ length: 10 }, (_, i) => get(`/req/${i}`));
    await inSandbox(async (sandbox) => {
      await sandbox.fake.whenStarted();
      sandbox.fake.releaseReady();
    });
    const responses = await Promise.all(requests);
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const { starts, status } = await inSandbox(async (sandbox) => ({ starts: sandbox.fake.starts, status: (await sandbox.status()).status }));
    expect(starts).toBe(1);
    expect(status).toBe("running");
  });

  it("proxies warm requests straight to the gateway: no control calls, no readiness probes", async () => {
    await get("/first");
    await inSandbox((sandbox) => {
      sandbox.fake.controlRequests.length = 0;
      sandbox.fake.gatewayRequests.length = 0;
    });
    for (let i = 0; i < 5; i++) expect((await get(`/warm/${i}`)).status).toBe(200);
    const seen = await inSandbox((sandbox) => ({
      control: sandbox.fake.controlRequests.length,
      gateway: sandbox.fake.gatewayRequests.map((r) => new URL(r.url).pathname),
    }));
    expect(seen.control).toBe(0);
    expect(seen.gateway).toEqual(["/warm/0", "/warm/1", "/warm/2", "/warm/3", "/warm/4"]);
  });

  it("boots when OpenClaw's /readyz fails only a channel (a revoked token): the supervisor says the gateway is ready", async () => {
    await inSandbox((sandbox) => {
      sandbox.fake.failingChannels = ["telegram"];
    });
    expect((await get("/after-a-revoked-token")).status).toBe(200);
    const seen = await inSandbox(async (sandbox) => ({
      status: (await sandbox.status()).status,
      asked: sandbox.fake.controlRequests.map((r) => new URL(r.url).pathname),
    }));
    expect(seen.status).toBe("running");
    expect(seen.asked).toContain("/health");
  });

  it("gives a browser the loading page while cold, which polls /api/status", async () => {
    await inSandbox((sandbox) => sandbox.fake.holdReady());
    const response = await get("/", "text/html");
    expect(response.status).toBe(503);
    expect(response.headers.get("x-moltlab-sandbox")).toBe("starting");
    const html = await response.text();
    expect(html).toContain("Starting OpenClaw");
    expect(html).toContain("/api/status");
    // The page load kicked off the start.
    await inSandbox((sandbox) => sandbox.fake.whenStarted());
    await inSandbox((sandbox) => sandbox.fake.releaseReady());
    expect((await get("/api-call")).status).toBe(200);
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(1);
  });

  it("starts the container with the contract's env and the image's own entrypoint (no secrets in argv)", async () => {
    await get("/x");
    const options = await inSandbox((sandbox) => sandbox.fake.startOptions[0]!);
    expect(options.entrypoint).toBeUndefined();
    expect(options.env).toMatchObject({
      OPENCLAW_GATEWAY_TOKEN: env.MOLTBOT_GATEWAY_TOKEN,
      ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY,
      TELEGRAM_BOT_TOKEN: env.TELEGRAM_BOT_TOKEN,
      TELEGRAM_DM_ALLOW_FROM: "12345,67890",
      R2_ACCESS_KEY_ID: env.R2_ACCESS_KEY_ID,
      R2_SECRET_ACCESS_KEY: env.R2_SECRET_ACCESS_KEY,
      CF_ACCOUNT_ID: env.CF_ACCOUNT_ID,
      R2_BUCKET_NAME: "moltbot-data",
    });
    expect(Object.keys(options.env!)).not.toContain("MOLTBOT_GATEWAY_TOKEN");
    expect(Object.keys(options.env!)).not.toContain("CF_ACCESS_AUD");
  });

  it("counts a crash and starts the container again on the next request", async () => {
    await get("/before");
    await inSandbox((sandbox) => sandbox.fake.crash(1));
    expect((await get("/after")).status).toBe(200);
    const state = await inSandbox(async (sandbox) => ({ starts: sandbox.fake.starts, report: await sandbox.status() }));
    expect(state.starts).toBe(2);
    expect(state.report).toMatchObject({ status: "running", starts: 2, crashes: 1, lastExit: { code: 1, expected: false } });
  });

  it("reports a container that dies while booting, and recovers on the next request", async () => {
    await inSandbox((sandbox) => sandbox.fake.holdReady());
    const pending = get("/during-boot");
    await inSandbox(async (sandbox) => {
      await sandbox.fake.whenStarted();
      sandbox.fake.crash(3);
    });
    const response = await pending;
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ detail: "the container stopped while booting (exit code 3)" });
    await inSandbox((sandbox) => sandbox.fake.releaseReady());
    expect((await get("/retry")).status).toBe(200);
    expect(await inSandbox((sandbox) => sandbox.status())).toMatchObject({ status: "running", starts: 2, crashes: 1 });
  });

  it("stops gracefully: SIGTERM, then waits for the final backup before reporting stopped", async () => {
    await get("/x");
    const backup = deferred();
    await inSandbox((sandbox) => {
      sandbox.fake.finalBackup = backup;
    });
    const stopping = sandboxStub().stop();
    await inSandbox((sandbox) => sandbox.fake.sigtermReceived.promise);
    // Still waiting for the supervisor's final backup.
    expect(await inSandbox((sandbox) => sandbox.status())).toMatchObject({ status: "stopping" });
    backup.resolve();
    const state = await stopping;
    expect(state).toMatchObject({ status: "stopped", lastStop: { reason: "requested", graceful: true }, crashes: 0 });
    expect(await inSandbox((sandbox) => sandbox.fake.signals)).toEqual([15]);
  });

  it("kills a container that ignores SIGTERM once the bound has passed", async () => {
    await get("/x");
    await inSandbox((sandbox) => {
      sandbox.fake.ignoreSigterm = true;
      sandbox.configure({ stopTimeoutMs: 0 });
    });
    const state = await sandboxStub().stop();
    expect(state).toMatchObject({ status: "stopped", lastStop: { graceful: false }, crashes: 0 });
    expect(await inSandbox((sandbox) => ({ signals: sandbox.fake.signals, running: sandbox.fake.running }))).toEqual({ signals: [15, 9], running: false });
  });

  it("with SANDBOX_SLEEP_AFTER=never (the default) schedules no alarm and keeps running", async () => {
    await get("/x");
    expect(await runDurableObjectAlarm(sandboxStub())).toBe(false);
    expect(await inSandbox((sandbox) => sandbox.fake.running)).toBe(true);
  });

  it("sleeps after the configured inactivity, via the DO alarm, and wakes on the next request", async () => {
    await inSandbox((sandbox) => sandbox.configure({ sleepAfterMs: 10 * 60_000 }));
    await get("/x");
    // The alarm fires early (nothing has been idle for 10 minutes yet): it re-arms and keeps the container.
    expect(await runDurableObjectAlarm(sandboxStub())).toBe(true);
    expect(await inSandbox((sandbox) => sandbox.fake.running)).toBe(true);

    await inSandbox((sandbox) => sandbox.advanceClock(10 * 60_000));
    expect(await runDurableObjectAlarm(sandboxStub())).toBe(true);
    const afterSleep = await inSandbox(async (sandbox) => ({ running: sandbox.fake.running, signals: sandbox.fake.signals, report: await sandbox.status() }));
    expect(afterSleep.running).toBe(false);
    expect(afterSleep.signals).toEqual([15]);
    expect(afterSleep.report).toMatchObject({ status: "stopped", lastStop: { reason: "sleepAfter", graceful: true }, crashes: 0 });

    expect((await get("/wake")).status).toBe(200);
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(2);
  });

  it("counts a request as activity until it is answered, and the idle time from its answer, however long the boot and the answer took", async () => {
    await inSandbox((sandbox) => {
      sandbox.configure({ sleepAfterMs: 60_000 });
      sandbox.fake.holdReady();
      sandbox.fake.holdAnswers();
    });
    // A webhook's call to a stopped container: held through a boot, then an answer, each longer than sleepAfter.
    const held = get("/hooks/agent");
    await inSandbox(async (sandbox) => {
      await sandbox.fake.whenStarted();
      sandbox.advanceClock(5 * 60_000);
      sandbox.fake.releaseReady();
      await sandbox.fake.answerHeld.promise;
      sandbox.advanceClock(2 * 60_000);
    });
    const alarm = async () => {
      expect(await runDurableObjectAlarm(sandboxStub())).toBe(true);
      return inSandbox((sandbox) => sandbox.fake.running);
    };
    // The boot's alarm, long past due: the call is still being answered, so the container stays.
    expect(await alarm()).toBe(true);
    await inSandbox((sandbox) => sandbox.fake.releaseAnswers());
    expect((await held).status).toBe(200);
    // Idle from the answer: 30 s later it stays; past sleepAfter after the answer it sleeps.
    await inSandbox((sandbox) => sandbox.advanceClock(30_000));
    expect(await alarm()).toBe(true);
    await inSandbox((sandbox) => sandbox.advanceClock(31_000));
    expect(await alarm()).toBe(false);
    expect(await inSandbox(async (sandbox) => (await sandbox.status()).lastStop)).toMatchObject({ reason: "sleepAfter" });
  });

  it("does not sleep while a WebSocket is open", async () => {
    await inSandbox((sandbox) => sandbox.configure({ sleepAfterMs: 60_000 }));
    const response = await authed("/ws", { headers: { upgrade: "websocket" } }, token);
    const socket = response.webSocket!;
    socket.accept();
    await inSandbox((sandbox) => sandbox.advanceClock(10 * 60_000));
    expect(await runDurableObjectAlarm(sandboxStub())).toBe(true);
    expect(await inSandbox((sandbox) => sandbox.fake.running)).toBe(true);
    socket.close(1000, "done");
  });
});

describe("GET /api/status", () => {
  it("is 401 without Access and never creates or starts the container", async () => {
    const response = await authed("/api/status", {}, "not-a-jwt");
    expect(response.status).toBe(401);
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(0);
  });

  it("reports the last known state without waking a stopped container", async () => {
    const cold = await get("/api/status");
    expect(await cold.json()).toMatchObject({ ok: false, status: "not_running", container: { status: "stopped", starts: 0 } });
    await get("/x");
    const warm = (await (await get("/api/status")).json()) as { ok: boolean; status: string; container: { bootMs: number | null } };
    expect(warm).toMatchObject({ ok: true, status: "running" });
    expect(warm.container.bootMs).not.toBeNull();
    await sandboxStub().stop();
    expect(await (await get("/api/status")).json()).toMatchObject({ ok: false, status: "not_running" });
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(1);
  });
});

/**
 * When the supervisor takes the gateway as ready: OpenClaw's /readyz answers, then the supervisor
 * with the fake OpenClaw reporting a failing channel (a revoked token) or a failing start-up.
 */
import { describe, expect, it } from "vitest";
import { readiness } from "./gateway-process.ts";
import { gatewayReady, secret, startSupervisor, supervisorEnv, supervisorSuite } from "./testing/harness.ts";

const suite = supervisorSuite("readiness");

describe("readiness of OpenClaw's /readyz answers", () => {
  it("is ready on 200, and on 503 that names only configured channels (with them named)", () => {
    expect(readiness(200, { ready: true, failing: [] }, [])).toEqual({ ready: true, failingChannels: [] });
    expect(readiness(503, { ready: false, failing: ["telegram"] }, ["telegram", "discord"])).toEqual({ ready: true, failingChannels: ["telegram"] });
    expect(readiness(503, { ready: false, failing: ["telegram", "discord"] }, ["telegram", "discord"])).toEqual({
      ready: true,
      failingChannels: ["telegram", "discord"],
    });
  });

  it("is not ready while OpenClaw starts or anything but a configured channel fails", () => {
    const channels = ["telegram"];
    for (const failing of [["startup-sidecars"], ["state-database"], ["agent-database:main"], ["telegram", "plugin-reload"], ["slack"], []])
      expect(readiness(503, { ready: false, failing }, channels), JSON.stringify(failing)).toEqual({ ready: false, failingChannels: [] });
    expect(readiness(503, null, channels).ready).toBe(false);
    expect(readiness(503, { failing: "telegram" }, channels).ready).toBe(false);
    expect(readiness(500, { failing: ["telegram"] }, channels).ready).toBe(false);
  });
});

describe("the supervisor with a failing channel", { timeout: 60_000 }, () => {
  it("serves when a configured channel fails (a revoked token), naming it in its log and /health", async () => {
    const env = await supervisorEnv(await suite.temp("channel"), suite.r2, suite.prefix(), {
      TELEGRAM_BOT_TOKEN: secret("tg-token"),
      TELEGRAM_DM_ALLOW_FROM: "42",
      FAKE_OPENCLAW_READYZ_FAILING: "telegram",
    });
    const s = startSupervisor(env);
    await gatewayReady(s);
    expect(s.logs).toContainEqual(
      expect.objectContaining({
        level: "warn",
        msg: expect.stringContaining("OpenClaw reports the channel(s) telegram failing"),
        failingChannels: ["telegram"],
      }),
    );
    expect(await (await s.control("/health")).json()).toMatchObject({ status: "running", gateway: { ready: true, failingChannels: ["telegram"] } });
    expect(await s.stop()).toEqual({ code: 0, signal: null });
  });

  it("keeps waiting when what fails is not a channel of the config", async () => {
    const env = await supervisorEnv(await suite.temp("startup"), suite.r2, suite.prefix(), { FAKE_OPENCLAW_READYZ_FAILING: "telegram" });
    const s = startSupervisor(env);
    // No telegram channel configured here: the same answer is not a channel's, so not ready. The supervisor
    // polls one answer at a time, so by the second answer it has judged the first.
    const answers = () => s.logs.filter((line) => typeof line.msg === "string" && line.msg.includes("fake-openclaw: /readyz 503")).length;
    await s.waitForLog("two /readyz answers", () => answers() >= 2);
    expect(await (await s.control("/health")).json()).toMatchObject({ gateway: { ready: false } });
    expect(s.logs.some((line) => line.msg === "gateway ready")).toBe(false);
    expect(await s.stop()).toEqual({ code: 0, signal: null });
  });
});

/**
 * Cron Triggers: OpenClaw's scheduler lives in the container, so the Worker's `scheduled` handler
 * wakes a sleeping container and holds it up for SANDBOX_SCHEDULE_AWAKE (OpenClaw runs missed jobs
 * ~2 min after it starts), then sleepAfter applies again.
 */
import { createExecutionContext, createScheduledController, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import type { Env } from "../src/types.ts";
import { freshSandbox, inSandbox, sandboxStub } from "./helpers.ts";

beforeEach(freshSandbox);

/** Fires a Cron Trigger: the scheduled event only records the wake and sets the alarm, which starts the container. */
async function trigger(cron: string): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron, scheduledTime: Date.now() }), env as unknown as Env, ctx);
  await waitOnExecutionContext(ctx);
  expect(await runDurableObjectAlarm(sandboxStub())).toBe(true);
}

describe("a Cron Trigger", () => {
  it("wakes the sleeping container and keeps it up for the schedule window, then lets it sleep", async () => {
    await inSandbox((sandbox) => sandbox.configure({ sleepAfterMs: 60_000, scheduleAwakeMs: 5 * 60_000 }));
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/30 * * * *", scheduledTime: Date.now() }), env as unknown as Env, ctx);
    await waitOnExecutionContext(ctx);
    // The scheduled event is over before anything starts: the start is the alarm's.
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(0);
    expect(await runDurableObjectAlarm(sandboxStub())).toBe(true);
    const woken = await inSandbox(async (sandbox) => ({ starts: sandbox.fake.starts, report: await sandbox.status() }));
    expect(woken).toMatchObject({ starts: 1, report: { status: "running", lastWake: { reason: "cron */30 * * * *" } } });

    // Past sleepAfter without a request, still inside the window: it stays up.
    await inSandbox((sandbox) => sandbox.advanceClock(2 * 60_000));
    expect(await runDurableObjectAlarm(sandboxStub())).toBe(true);
    expect(await inSandbox((sandbox) => sandbox.fake.running)).toBe(true);

    // Past the window plus sleepAfter: it sleeps as usual.
    await inSandbox((sandbox) => sandbox.advanceClock(5 * 60_000));
    expect(await runDurableObjectAlarm(sandboxStub())).toBe(true);
    const slept = await inSandbox(async (sandbox) => ({ running: sandbox.fake.running, report: await sandbox.status() }));
    expect(slept).toMatchObject({ running: false, report: { status: "stopped", lastStop: { reason: "sleepAfter" } } });
  });

  it("gives way to a restart asked for while its boot is still in flight: the restart starts the container again", async () => {
    // Readiness polled as in production (once a second), so the wake's boot is between two polls when the stop lands.
    await inSandbox((sandbox) => {
      sandbox.configure({ readyPollMs: 1000 });
      sandbox.fake.holdReady();
    });
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/30 * * * *", scheduledTime: Date.now() }), env as unknown as Env, ctx);
    await waitOnExecutionContext(ctx);
    const wake = runDurableObjectAlarm(sandboxStub());
    await inSandbox((sandbox) => sandbox.fake.whenStarted());
    const restarted = await inSandbox((sandbox) => sandbox.restart());
    expect(restarted.lastStop).toMatchObject({ reason: "restart" });
    expect(await wake).toBe(true);
    // No request needed: the restart itself starts it again.
    await inSandbox(async (sandbox) => {
      await sandbox.fake.whenStarts(2);
      sandbox.fake.releaseReady();
    });
    expect((await sandboxStub().fetch("http://sandbox/after-restart")).status).toBe(200);
    const after = await inSandbox(async (sandbox) => ({ starts: sandbox.fake.starts, report: await sandbox.status() }));
    expect(after).toMatchObject({ starts: 2, report: { status: "running", starts: 2, lastError: null } });
  });

  it("leaves a running container running, without a second start", async () => {
    await trigger("0 * * * *");
    await trigger("15 * * * *");
    expect(await inSandbox((sandbox) => sandbox.fake.starts)).toBe(1);
  });
});

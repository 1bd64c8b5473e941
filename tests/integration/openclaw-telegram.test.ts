/**
 * OpenClaw's Telegram channel against the Telegram emulator, through the whole local stack
 * (startSandbox, as `npm run dev` runs it, on Docker's bridge network): the bot in webhook mode, Telegram posting each
 * update to the Worker's /telegram/webhook, which wakes the container when it sleeps. A person
 * on the allow-list gets the model's answer (from the AI Gateway emulator) in the chat; anyone
 * else gets nothing; and a message sent while the container sleeps is answered after the cold
 * start it causes — the gap moltworker's polling leaves (its issue #139).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demuxLogs } from "../../platform/server/docker-logs.ts";
import { execInContainer } from "../shared/container-exec.ts";
import type { Scenario } from "../../emulators/ai-gateway/index.ts";
import { startTelegram, type BotAction, type StartedTelegram } from "../../emulators/telegram/index.ts";
import { startSandbox, type StartedSandbox } from "../../stack/sandbox.ts";
import { StepRunner } from "../../core/ui.ts";
import { waitForSandboxRunning } from "../shared/through-worker.ts";
import { waitFor } from "../shared/wait.ts";
import { EvidenceRecorder } from "./openclaw-reports.ts";
import { type WakeFile, EVIDENCE_FILES } from "../../verify/evidence-files.ts";

const MINUTES = 60_000;
/** Where the scheduled job leaves its mark (the workspace: backed up to R2, so it survives the sleep). */
const CRON_PROBE = "/home/node/.openclaw/workspace/moltlab-cron-probe.txt";
const ALICE = { id: 1001, first_name: "Alice", username: "alice" };
const MALLORY = { id: 2002, first_name: "Mallory", username: "mallory" };
/** Long enough for a model turn to finish before the container is put to sleep. */
const SLEEP_AFTER = "20s";
/** reports/wake.json, for verify's parity item. */
const evidence = new EvidenceRecorder<WakeFile>(EVIDENCE_FILES.wake, "OpenClaw's chat channels against their emulators (parity item)", {
  telegram: { mode: "webhook" },
});
const reply = (text: string): Scenario[] => [{ name: "telegram", match: { provider: "anthropic" }, reply: { text } }];

describe("OpenClaw's Telegram channel through the Worker, webhooks waking the container", () => {
  let telegram: StartedTelegram;
  let sandbox: StartedSandbox;
  let stateDir: string;
  const workerLines: string[] = [];

  const status = async () =>
    (await (await fetch(`${sandbox.url}/api/status`, { signal: AbortSignal.timeout(30_000) })).json()) as {
      status: string;
      container: { status: string; starts: number; lastError: string | null; lastWake: { reason: string; at: number } | null };
    };
  /** The bot's answer to a chat: a new message (OpenClaw may also send and remove a progress note first). */
  const answerIn = (chatId: number, text: string) => (action: BotAction) =>
    action.kind === "send" && action.message.chat.id === chatId && action.message.text === text;

  beforeAll(async () => {
    telegram = await startTelegram();
    stateDir = await mkdtemp(join(tmpdir(), "moltlab-telegram-state-"));
    sandbox = await startSandbox({
      arch: "amd64",
      // Docker's bridge, as on Docker Desktop: the container reaches the Telegram emulator through the
      // sandbox's bridge door, and this file runs beside those that take the host's ports.
      network: "bridge",
      containerPrefix: "moltlab-telegram-",
      port: 0,
      persistTo: stateDir,
      // Access is not what this file is about: the Worker's loopback dev mode lets the test's requests in.
      devMode: true,
      sleepAfter: SLEEP_AFTER,
      telegram: {
        botToken: telegram.token,
        apiRoot: telegram.apiRoot,
        dmPolicy: "allowlist",
        allowFrom: [ALICE.id],
        webhookSecret: randomBytes(24).toString("base64url"),
      },
      steps: new StepRunner((line) => console.log(line)),
      onWorkerLine: (line) => workerLines.push(line),
    });
  }, 10 * MINUTES);

  afterAll(async () => {
    await sandbox?.stop(new StepRunner((line) => console.log(line)));
    await telegram?.stop();
    await evidence.write();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  }, 5 * MINUTES);

  it(
    "boots, and OpenClaw points the bot's webhook at the Worker with the secret",
    async () => {
      // Any request through the Worker wakes the container; /healthz waits for the boot.
      expect((await fetch(`${sandbox.url}/healthz`, { signal: AbortSignal.timeout(5 * MINUTES) })).status).toBe(200);
      const call = await telegram.waitForCall("setWebhook", { timeoutMs: 2 * MINUTES, answered: true });
      expect(call.error).toBeUndefined();
      expect(telegram.bot.webhook).toMatchObject({ url: `${sandbox.url}/telegram/webhook`, secretToken: expect.any(String) });
      expect(telegram.bot.unsupported).toEqual([]);
    },
    6 * MINUTES,
  );

  it(
    "answers a person on the allow-list in their chat, and nobody else",
    async () => {
      sandbox.aiGateway!.load(reply("Hello Alice, from the scripted model."));
      const fromMallory = telegram.userSends({ from: MALLORY, text: "let me in" }).update!;
      const fromAlice = telegram.userSends({ from: ALICE, text: "hello bot" }).update!;
      await telegram.waitForDelivery(fromMallory, { timeoutMs: MINUTES });
      await telegram.waitForDelivery(fromAlice, { timeoutMs: MINUTES });
      const answer = await telegram.waitForAction(answerIn(ALICE.id, "Hello Alice, from the scripted model."), { timeoutMs: 3 * MINUTES });
      evidence.set("telegram.allowListedAnswered", true);
      evidence.set("telegram.othersIgnored", telegram.actions(MALLORY.id).length === 0);
      expect(answer.message.from).toMatchObject({ id: telegram.bot.user.id, is_bot: true });
      // OpenClaw takes updates in order, and Mallory's came first: by Alice's answer it was dropped.
      expect(telegram.actions(MALLORY.id)).toEqual([]);
      evidence.passed("allow-list");
    },
    5 * MINUTES,
  );

  it(
    "answers a message sent while the container sleeps: the webhook wakes it, nothing is lost",
    async () => {
      const before = await status();
      await waitFor("the container to go to sleep (SANDBOX_SLEEP_AFTER)", async () => (await status()).status === "not_running", 3 * MINUTES, 1000);
      sandbox.aiGateway!.load(reply("Still here after a nap."));
      const failures: string[] = [];
      let sentAt = 0;
      telegram.bot.events.on("delivery-failed", ({ error }: { error: string }) =>
        failures.push(`${((performance.now() - sentAt) / 1000).toFixed(1)} s: ${error}`),
      );
      sentAt = performance.now();
      const asleep = telegram.userSends({ from: ALICE, text: "are you awake?" }).update!;
      const answer = await telegram.waitForAction(answerIn(ALICE.id, "Still here after a nap."), { timeoutMs: 6 * MINUTES });
      const attempts = telegram.deliveryAttempts().get(asleep.update_id) ?? 0;
      evidence.set("telegram.whileAsleep", { answeredMs: Math.round(performance.now() - sentAt), deliveryAttempts: attempts });
      // Printed for the README, never asserted: how long a person waits when the container slept.
      console.log(
        `telegram: a message to the sleeping container answered after ${((performance.now() - sentAt) / 1000).toFixed(1)} s; ${attempts} delivery attempt(s)${failures.length ? `; refused: ${failures.join("; ")}` : ""}`,
      );
      expect(answer.message.chat.id).toBe(ALICE.id);
      const after = await waitForSandboxRunning(status, MINUTES);
      expect(after.container.starts).toBe(before.container.starts + 1);
      // Held until OpenClaw took it: every attempt before the container listened was answered 503 and retried.
      expect(attempts).toBeGreaterThanOrEqual(1);
      expect(telegram.bot.pendingUpdates()).toEqual([]);
      evidence.passed("asleep");
    },
    10 * MINUTES,
  );

  it(
    "says so once when the bot's token is revoked, and keeps serving: no crash loop, the Worker unaffected",
    async () => {
      telegram.revoke();
      const before = await status();
      expect((await fetch(`${sandbox.url}/api/admin/gateway/restart`, { method: "POST", signal: AbortSignal.timeout(5 * MINUTES) })).status).toBe(202);
      await waitFor(
        "the container restarted",
        async () => {
          const now = await status();
          return now.status === "running" && now.container.starts === before.container.starts + 1;
        },
        5 * MINUTES,
        1000,
      );
      const docker = new Docker();
      const running = () => sandbox.platform.containers.states().find((state) => state.status === "running")?.containerId;
      // Requests through the Worker meanwhile keep the container awake (SANDBOX_SLEEP_AFTER is short here).
      const line = await waitFor(
        "OpenClaw's log line about the unauthorized token",
        async () => {
          expect((await fetch(`${sandbox.url}/healthz`, { signal: AbortSignal.timeout(MINUTES) })).status).toBe(200);
          const id = running();
          if (!id) return undefined;
          const logs = demuxLogs((await docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
          return logs.split("\n").find((entry) => /telegram/i.test(entry) && /unauthori[sz]ed/i.test(entry));
        },
        3 * MINUTES,
        2000,
      );
      const serving = (await fetch(`${sandbox.url}/healthz`, { signal: AbortSignal.timeout(MINUTES) })).status === 200;
      evidence.set("telegram.revokedToken", { logLine: line.slice(0, 300), gatewayServing: serving });
      console.log(`telegram: revoked token → ${line.slice(0, 300)}`);
      expect(serving).toBe(true);
      const after = await status();
      expect([after.status, after.container.starts]).toEqual(["running", before.container.starts + 1]);
      expect(line).not.toContain(telegram.token);
      evidence.passed("revoked-token");
    },
    10 * MINUTES,
  );

  it(
    "runs an automation that came due while the container slept, once a Cron Trigger wakes it",
    async () => {
      const docker = new Docker();
      const runningId = () => sandbox.platform.containers.states().find((state) => state.status === "running")?.containerId;
      // Any request wakes it (it may have gone to sleep after the last test).
      expect((await fetch(`${sandbox.url}/healthz`, { signal: AbortSignal.timeout(5 * MINUTES) })).status).toBe(200);
      const inContainer = async (script: string) => {
        const id = runningId();
        if (!id) throw new Error("no running OpenClaw container");
        return execInContainer(docker.getContainer(id), ["sh", "-c", script], "node");
      };
      // The supervisor turns OpenClaw's scheduler off unless the user's config says otherwise; the user turns it
      // on as they would (it takes effect on the next start, the wake below, from the config R2 kept).
      const enabled = await inContainer("openclaw config set cron.enabled true");
      expect(enabled.exitCode, enabled.output).toBe(0);
      // A command job (no model call): appends the time it ran to a file in the workspace, which R2 keeps across sleeps.
      // Due in a minute: long enough for the container to go to sleep first (SLEEP_AFTER, then the final backup).
      const added = await inContainer(
        `openclaw automations add --name moltlab-wake-probe --at 60s --command 'date +%s >> ${CRON_PROBE}; echo NO_REPLY' --json`,
      );
      expect(added.exitCode, added.output).toBe(0);
      // The due time as OpenClaw stored it (schedule.at in the job it prints).
      const dueAt = Date.parse(/"at":\s*"([^"]+)"/.exec(added.output)?.[1] ?? "");
      expect(dueAt, added.output).toBeGreaterThan(0);
      evidence.set("schedule", { job: "a one-shot command automation (`openclaw automations add --at 60s --command …`)" });
      await waitFor("the container to go to sleep (SANDBOX_SLEEP_AFTER)", async () => (await status()).status === "not_running", 3 * MINUTES, 1000);
      // The job comes due while the container sleeps: OpenClaw's scheduler is inside it, so nothing runs.
      await waitFor(
        "the job's due time to pass while the container sleeps",
        async () => Date.now() > dueAt + 5000 && (await status()).status === "not_running",
        3 * MINUTES,
        1000,
      );
      evidence.set("schedule.notRunWhileAsleep", true);

      const triggered = Date.now();
      const cron = await fetch(`${sandbox.url}/__scheduled?cron=${encodeURIComponent("*/30 * * * *")}`, { signal: AbortSignal.timeout(5 * MINUTES) });
      expect(cron.status).toBe(200);
      const ran = await waitFor(
        "the automation's run after the wake",
        async () => {
          if (!runningId()) throw new Error(`no running OpenClaw container; the Worker says ${JSON.stringify((await status()).container)}`);
          const probe = await inContainer(`cat ${CRON_PROBE} 2>/dev/null`);
          const line = probe.output.trim().split("\n").filter(Boolean)[0];
          return line ? Number(line) * 1000 : undefined;
        },
        5 * MINUTES,
        3000,
      );
      evidence.set("schedule.triggerToRunMs", Math.max(0, ran - triggered));
      evidence.set("schedule.lateByMs", Math.max(0, ran - dueAt));
      console.log(
        `telegram: automation due while asleep ran ${((ran - dueAt) / 1000).toFixed(0)} s late, ${((ran - triggered) / 1000).toFixed(0)} s after the Cron Trigger`,
      );
      // It ran once, after the trigger; the wake is the trigger's, not a request's.
      expect(ran).toBeGreaterThanOrEqual(triggered - 1000);
      expect((await inContainer(`cat ${CRON_PROBE}`)).output.trim().split("\n")).toHaveLength(1);
      expect((await status()).container).toMatchObject({ lastWake: { reason: "cron */30 * * * *" } });
      evidence.passed("schedule");
    },
    15 * MINUTES,
  );

  it("never prints the bot token or the webhook secret in the Worker's output", () => {
    expect(workerLines.length).toBeGreaterThan(0);
    for (const value of sandbox.secrets) expect(workerLines.join("\n")).not.toContain(value);
    expect(workerLines.join("\n")).not.toContain(telegram.token);
  });
});

/**
 * The work that reaches OpenClaw without a person — a webhook job and scheduled automations —
 * through the whole local stack (startSandbox, as `npm run dev -- --hooks` runs it, on Docker's
 * bridge network), in one sandbox and one OpenClaw boot, while its container is not running:
 *
 * - A webhook job (OpenClaw's `POST /hooks/agent`, OPENCLAW_HOOKS_TOKEN) through the Worker is the
 *   first request: it boots the container, waits for it, and OpenClaw runs the agent turn.
 * - Automations that come due while the container sleeps run once a Cron Trigger wakes it: a
 *   command job, and an agent turn (which OpenClaw starts about two minutes after its boot).
 *
 * Its own file beside the channels' (openclaw-channels.test.ts): each has a sandbox of its own, so
 * the two run side by side, and neither's sleep waits for the other's.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StepRunner } from "../../core/ui.ts";
import type { Scenario } from "../../emulators/ai-gateway/index.ts";
import { type StartedSandbox, startSandbox } from "../../stack/sandbox.ts";
import { EVIDENCE_FILES, type JobsFile } from "../../verify/evidence-files.ts";
import { execInContainer } from "../shared/container-exec.ts";
import { waitFor } from "../shared/wait.ts";
import { EvidenceRecorder } from "./openclaw-reports.ts";
import { SandboxWatch } from "./sandbox-watch.ts";

const MINUTES = 60_000;
/** Where the scheduled job leaves its mark (the workspace: backed up to R2, so it survives the sleep). */
const CRON_PROBE = "/home/node/.openclaw/workspace/moltlab-cron-probe.txt";
/** The webhook job's message: found in the model request its agent turn makes. */
const HOOK_PROBE = "moltlab webhook probe: answer NO_REPLY";
/** OPENCLAW_HOOKS_TOKEN: OpenClaw's inbound webhooks on. */
const HOOKS_TOKEN = randomBytes(24).toString("base64url");
/** The agent-turn automation's message: found in the model request it makes. */
const AGENT_PROBE = "moltlab agent-turn probe: answer NO_REPLY";
/** What OpenClaw answers a hook it could not start yet after a cold start (see the webhook test): the caller retries. */
const RETRY_STATUSES = [502, 503];
/** Short, so the sleeps this file waits for come soon: the tests keep the container awake with requests until they want it asleep. */
const SLEEP_AFTER = "20s";
/** reports/jobs.json, for verify's parity item. */
const jobs = new EvidenceRecorder<JobsFile>(EVIDENCE_FILES.jobs, "OpenClaw's webhook jobs and automations through the Worker (parity item)", {});
const reply = (text: string): Scenario[] => [{ name: "jobs", match: { provider: "anthropic" }, reply: { text } }];

describe("OpenClaw's jobs through the Worker: a webhook call and a Cron Trigger wake the container, and the job runs", () => {
  let sandbox: StartedSandbox;
  let stateDir: string;
  let watch: SandboxWatch;
  const workerLines: string[] = [];

  /** Model requests that carry the agent-turn automation's message. */
  const agentTurns = () => watch.modelRequestsWith(AGENT_PROBE);

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "moltlab-jobs-state-"));
    sandbox = await startSandbox({
      arch: "amd64",
      // Docker's bridge, as on Docker Desktop: this file runs beside those that take the host's ports.
      network: "bridge",
      containerPrefix: "moltlab-jobs-",
      port: 0,
      persistTo: stateDir,
      // Access is not what this file is about: the Worker's loopback dev mode lets the test's requests in.
      devMode: true,
      sleepAfter: SLEEP_AFTER,
      hooksToken: HOOKS_TOKEN,
      steps: new StepRunner((line) => console.log(line)),
      onWorkerLine: (line) => workerLines.push(line),
    });
    watch = new SandboxWatch(sandbox);
  }, 10 * MINUTES);

  afterAll(async () => {
    watch?.stopKeepingAwake();
    await sandbox?.stop(new StepRunner((line) => console.log(line)));
    await jobs.write();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  }, 5 * MINUTES);

  it(
    "a webhook job wakes it: POST /hooks/agent through the Worker boots the container, and OpenClaw runs the agent turn",
    async () => {
      // The sandbox starts with no container: the first request through the Worker starts it.
      const before = await watch.status();
      expect(before.status).not.toBe("running");
      const hook = (token: string, body: object) =>
        fetch(`${sandbox.url}/hooks/agent`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(6 * MINUTES),
        });
      sandbox.aiGateway!.load(reply("NO_REPLY"));
      const sentAt = performance.now();
      // A service's call (not a page load): the Worker holds it through the boot, then OpenClaw admits the run.
      // OpenClaw may answer 502 ("failed before entering the agent runner") while it is still preparing after a
      // cold start (seen once), or 503 when the run did not start within its 15 s admission timeout (hooks
      // HOOK_AGENT_START_ADMISSION_TIMEOUT_MS; seen on a slow run): it aborts that run, so nothing runs twice.
      // A caller retries, as OpenClaw's docs say; how many attempts it took is recorded.
      let attempts = 0;
      let response: Response;
      let admitted: { ok?: boolean; runId?: string; error?: string };
      for (;;) {
        attempts++;
        response = await hook(HOOKS_TOKEN, { message: HOOK_PROBE, name: "moltlab webhook probe", deliver: false });
        admitted = (await response.json()) as typeof admitted;
        if (!RETRY_STATUSES.includes(response.status) || attempts === 3) break;
        const said = (await watch.containerLogs()).split("\n").filter((line) => /hook/i.test(line) && !/startup outcomes/.test(line));
        console.log(
          `hooks: attempt ${attempts} answered ${response.status} ${JSON.stringify(admitted)}; OpenClaw logged: ${said.slice(-5).join(" | ").slice(0, 1500)}`,
        );
      }
      const admittedMs = Math.round(performance.now() - sentAt);
      // The idle timer counts from the call's answer, not the agent turn that follows it (SANDBOX_SLEEP_AFTER is
      // short here): the test's requests keep the container up, as the rest of this file needs it anyway.
      watch.keepAwake();
      expect(response.status, JSON.stringify(admitted)).toBe(200);
      expect(admitted).toMatchObject({ ok: true, runId: expect.any(String) });
      await waitFor("the webhook job's model request", async () => watch.modelRequestsWith(HOOK_PROBE)[0], 3 * MINUTES, 1000);
      const turnMs = Math.round(performance.now() - sentAt);
      const after = await watch.status();
      expect([after.status, after.container.starts]).toEqual(["running", before.container.starts + 1]);
      // OpenClaw checks the hook token itself; the Worker passes Authorization through.
      const wrong = await hook("not-the-hooks-token", { message: "nope", deliver: false });
      await wrong.body?.cancel();
      expect(wrong.status).toBe(401);
      jobs.set("hooks", { admittedMs, turnMs, wrongTokenStatus: wrong.status, attempts });
      // Printed for the README, never asserted: how long a webhook's caller waits on a cold start.
      console.log(
        `hooks: a webhook job to the stopped container admitted after ${(admittedMs / 1000).toFixed(1)} s, its agent turn at ${(turnMs / 1000).toFixed(1)} s`,
      );
      jobs.passed("hooks");
    },
    8 * MINUTES,
  );

  it(
    "runs an automation that came due while the container slept, once a Cron Trigger wakes it",
    async () => {
      // Any request wakes it, should it be asleep.
      expect((await fetch(`${sandbox.url}/healthz`, { signal: AbortSignal.timeout(5 * MINUTES) })).status).toBe(200);
      const inContainer = async (script: string) => {
        const container = watch.runningContainer();
        if (!container) throw new Error("no running OpenClaw container");
        return execInContainer(container, ["sh", "-c", script], "node");
      };
      // The supervisor turns OpenClaw's scheduler off unless the user's config says otherwise; the user turns it
      // on as they would (it takes effect on the next start, the wake below, from the config R2 kept).
      const enabled = await inContainer("openclaw config set cron.enabled true");
      expect(enabled.exitCode, enabled.output).toBe(0);
      // Two one-shot jobs, due in a minute: long enough for the container to go to sleep first (SLEEP_AFTER, then
      // the final backup). --no-deliver: the jobs answer no chat (with several channels OpenClaw wants one named, or none).
      // A command job (no model call) appends the time it ran to a file in the workspace, which R2 keeps across sleeps;
      // an agent turn shows as the model request it makes, with its message, at the AI Gateway emulator.
      const added = await inContainer(
        `openclaw automations add --name moltlab-wake-probe --at 60s --no-deliver --command 'date +%s >> ${CRON_PROBE}; echo NO_REPLY' --json`,
      );
      expect(added.exitCode, added.output).toBe(0);
      const agentAdded = await inContainer(`openclaw automations add --name moltlab-agent-probe --at 60s --no-deliver --message '${AGENT_PROBE}' --json`);
      expect(agentAdded.exitCode, agentAdded.output).toBe(0);
      // The due times as OpenClaw stored them (schedule.at in the job it prints).
      const dueAt = Date.parse(/"at":\s*"([^"]+)"/.exec(added.output)?.[1] ?? "");
      const agentDueAt = Date.parse(/"at":\s*"([^"]+)"/.exec(agentAdded.output)?.[1] ?? "");
      expect([dueAt, agentDueAt], `${added.output}\n${agentAdded.output}`).toEqual([expect.any(Number), expect.any(Number)]);
      expect(Math.min(dueAt, agentDueAt)).toBeGreaterThan(0);
      jobs.set("schedule", { job: "a one-shot command automation (`openclaw automations add --at 60s --command …`)" });
      watch.stopKeepingAwake();
      await watch.waitAsleep();
      // The job comes due while the container sleeps: OpenClaw's scheduler is inside it, so nothing runs.
      await waitFor(
        "the job's due time to pass while the container sleeps",
        async () => Date.now() > Math.max(dueAt, agentDueAt) + 5000 && (await watch.status()).status === "not_running",
        3 * MINUTES,
        1000,
      );
      jobs.set("schedule.notRunWhileAsleep", agentTurns().length === 0);
      expect(agentTurns()).toEqual([]);

      const triggered = Date.now();
      const cron = await fetch(`${sandbox.url}/__scheduled?cron=${encodeURIComponent("*/30 * * * *")}`, { signal: AbortSignal.timeout(5 * MINUTES) });
      expect(cron.status).toBe(200);
      const ran = await waitFor(
        "the automation's run after the wake",
        async () => {
          if (!watch.runningId()) throw new Error(`no running OpenClaw container; the Worker says ${JSON.stringify((await watch.status()).container)}`);
          const probe = await inContainer(`cat ${CRON_PROBE} 2>/dev/null`);
          const line = probe.output.trim().split("\n").filter(Boolean)[0];
          return line ? Number(line) * 1000 : undefined;
        },
        5 * MINUTES,
        3000,
      );
      jobs.set("schedule.triggerToRunMs", Math.max(0, ran - triggered));
      jobs.set("schedule.lateByMs", Math.max(0, ran - dueAt));
      console.log(
        `schedule: automation due while asleep ran ${((ran - dueAt) / 1000).toFixed(0)} s late, ${((ran - triggered) / 1000).toFixed(0)} s after the Cron Trigger`,
      );
      // It ran once, after the trigger; the wake is the trigger's, not a request's.
      expect(ran).toBeGreaterThanOrEqual(triggered - 1000);
      expect((await inContainer(`cat ${CRON_PROBE}`)).output.trim().split("\n")).toHaveLength(1);
      expect((await watch.status()).container).toMatchObject({ lastWake: { reason: "cron */30 * * * *" } });
      jobs.passed("schedule");

      // The agent turn: OpenClaw starts agent jobs about 2 minutes after its start, within SANDBOX_SCHEDULE_AWAKE
      // (10m by default), which keeps the container up after the trigger without a request.
      const turn = await waitFor("the agent turn's model request after the wake", async () => agentTurns()[0], 6 * MINUTES, 3000);
      const turnAt = Date.parse(turn.time);
      jobs.set("schedule.agentTurn", { triggerToRunMs: Math.max(0, turnAt - triggered), lateByMs: Math.max(0, turnAt - agentDueAt) });
      console.log(
        `schedule: agent-turn automation due while asleep ran ${((turnAt - agentDueAt) / 1000).toFixed(0)} s late, ${((turnAt - triggered) / 1000).toFixed(0)} s after the Cron Trigger`,
      );
      expect(turnAt).toBeGreaterThanOrEqual(triggered - 1000);
      jobs.passed("schedule-agent-turn");
    },
    15 * MINUTES,
  );

  it("never prints the hooks token or the sandbox's secrets in the Worker's output", () => {
    expect(workerLines.length).toBeGreaterThan(0);
    const output = workerLines.join("\n");
    for (const value of sandbox.secrets) expect(output).not.toContain(value);
    expect(output).not.toContain(HOOKS_TOKEN);
  });
});

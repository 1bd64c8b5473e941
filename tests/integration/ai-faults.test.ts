/**
 * The fault table: each AI Gateway fault kind (ai-fault-kinds.ts) sent through the Worker to the
 * real OpenClaw, whose model calls go to the AI Gateway emulator with that fault injected. For
 * each kind, in one sandbox, one kind after another: the chat over the WebSocket ends within a
 * bound with what the kind should give (a clear error, not a hang; or the reply), the Worker
 * answers /api/status while the fault is active, and with the fault gone the next chat gets the
 * scripted reply. Writes reports/ai-faults.{json,md}: kind → what the user saw → recovered.
 * How long each took is printed and recorded, never asserted.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StepRunner } from "../../core/ui.ts";
import type { Scenario } from "../../emulators/ai-gateway/index.ts";
import { startSandbox, type StartedSandbox } from "../../stack/sandbox.ts";
import { type AiFaultRow, type AiFaultsFile, EVIDENCE_FILES } from "../../verify/evidence-files.ts";
import { waitForSandboxRunning } from "../shared/through-worker.ts";
import { FAULT_KINDS, type FaultKind } from "./ai-fault-kinds.ts";
import { markdownTable, writeReport } from "./openclaw-reports.ts";
import { GatewaySocket, messageText } from "./openclaw-ws.ts";
import { holdHostPorts } from "../shared/host-ports.ts";

// OpenClaw on the host's network: ports 18789/18790 are the machine's, one such file at a time.
holdHostPorts();

const MINUTES = 60_000;
/**
 * The bound on one faulty turn: OpenClaw's model idle watchdog is 120 s for cloud providers and
 * 300 s for self-hosted ones (docs/concepts/agent-loop.md), plus its retries; past this it hangs.
 */
const TURN_BOUND_MS = 6 * MINUTES;
const RUN = randomBytes(3).toString("hex");
const REPLY = "Pong from the scripted gateway, fault-free.";
const reply = (name: string): Scenario[] => [{ name, match: { provider: "anthropic" }, reply: { text: REPLY } }];

/** How a chat run ended, as the person chatting sees it. */
interface Outcome {
  /** `connection closed`: the WebSocket through the Worker dropped before the run ended. */
  state: "final" | "error" | "aborted" | "no answer" | "connection closed";
  text: string;
  ms: number;
}

/** chat.send, then the run's final, error or aborted event, or "no answer" after `boundMs`. */
async function chatOutcome(socket: GatewaySocket, sessionKey: string, text: string, boundMs: number): Promise<Outcome> {
  const started = Date.now();
  const ack = (await socket.request("chat.send", { sessionKey, message: text, idempotencyKey: randomUUID() }, boundMs)) as { runId?: string };
  const ofRun = (payload: Record<string, unknown>) => !ack.runId || payload.runId === ack.runId;
  try {
    const ended = await socket.until(
      `the end of chat run ${ack.runId}`,
      () => socket.event("chat", (payload) => ofRun(payload) && ["final", "error", "aborted"].includes(String(payload.state))),
      boundMs - (Date.now() - started),
    );
    const state = ended.state as Outcome["state"];
    const shown = state === "final" ? messageText(ended.message) : String(ended.errorMessage ?? ended.error ?? JSON.stringify(ended));
    return { state, text: shown, ms: Date.now() - started };
  } catch (error) {
    // A timeout is the answer "nothing came", a dropped socket what the person sees as a disconnect;
    // anything else is the test's own failure.
    const message = error instanceof Error ? error.message : "";
    const ms = Date.now() - started;
    if (/^timed out/.test(message)) return { state: "no answer", text: `nothing within ${Math.round(boundMs / 1000)} s (the turn was still running)`, ms };
    const closed = /^socket (closed [^ ]*)/.exec(message);
    if (closed) return { state: "connection closed", text: `the WebSocket ${closed[1]} after ${Math.round(ms / 1000)} s, no error in the chat`, ms };
    throw error;
  }
}

/** An error the person can read: the run ended in error, or its final text says what failed. */
function isClearError(outcome: Outcome): boolean {
  if (outcome.state === "error") return outcome.text.trim().length > 0;
  return (
    outcome.state === "final" && !outcome.text.includes(REPLY) && /error|fail|unavailable|overloaded|rate.?limit|timed? ?out|try again/i.test(outcome.text)
  );
}

const shorten = (text: string, max = 160) => (text.length > max ? `${text.slice(0, max - 1)}…` : text).replace(/\s+/g, " ");

describe("AI Gateway faults through OpenClaw behind the Worker", () => {
  let sandbox: StartedSandbox;
  let stateDir: string;
  const rows: AiFaultRow[] = [];

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${sandbox.url}${path}`, {
      ...init,
      headers: { "CF-Access-JWT-Assertion": sandbox.access.mint(), ...(init.headers as Record<string, string> | undefined) },
      signal: AbortSignal.timeout(2 * MINUTES),
      redirect: "manual",
    });
  const status = async () =>
    (await (await api("/api/status")).json()) as { ok: boolean; status: string; container: { status: string; lastError: string | null } };
  const connect = async () => {
    const open = () =>
      GatewaySocket.connect({
        url: sandbox.url,
        headers: { "CF-Access-JWT-Assertion": sandbox.access.mint() },
        userAgent: "moltlab-ai-faults/0.1.0",
        timeoutMs: 2 * MINUTES,
      });
    return (
      await open().catch(async (error: unknown) => {
        // A device the gateway does not know waits for pairing: the admin API approves it.
        if (!/pair/i.test(String(error))) throw error;
        await (await api("/api/admin/devices/approve-all", { method: "POST" })).body?.cancel();
        return open();
      })
    ).socket;
  };

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "moltlab-ai-faults-state-"));
    sandbox = await startSandbox({ arch: "amd64", network: "host", port: 0, persistTo: stateDir, steps: new StepRunner((line) => console.log(line)) });
    await (await api("/", { headers: { accept: "text/html" } })).body?.cancel();
    await waitForSandboxRunning(status, 8 * MINUTES);
  }, 10 * MINUTES);

  afterAll(async () => {
    if (rows.length) {
      const file: AiFaultsFile = { generatedAt: new Date().toISOString(), source: EVIDENCE_FILES.aiFaults.writtenBy, rows };
      const markdown = [
        "# AI Gateway faults through OpenClaw behind the Worker",
        "",
        `Generated by \`${file.source}\` at ${file.generatedAt}. Each fault injected on every model request (\`times: "always"\`), a chat sent over the WebSocket through the Worker, then the fault removed and the next chat sent.`,
        "",
        markdownTable(
          ["kind", "fault", "expected", "what the user saw", "seconds", "Worker served meanwhile", "next chat recovered"],
          rows.map((row) => [
            row.kind,
            `\`${row.fault}\``,
            row.expected,
            row.userSaw,
            (row.ms / 1000).toFixed(1),
            row.workerServed ? "yes" : "no",
            row.recovered ? "yes" : "no",
          ]),
        ),
      ].join("\n");
      await writeReport(EVIDENCE_FILES.aiFaults, file, markdown);
    }
    await sandbox?.stop(new StepRunner((line) => console.log(line)));
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  }, 5 * MINUTES);

  it.each(FAULT_KINDS.map((kind) => [kind.kind, kind] as const))(
    "%s: the user gets what the kind should give within the bound, the Worker keeps serving, the next chat works",
    async (_name, kind: FaultKind) => {
      const gateway = sandbox.aiGateway!;
      gateway.reset();
      gateway.load(reply(`fault-${RUN}`));
      gateway.inject({ ...kind.fault, times: "always", match: { provider: "anthropic" } });
      const socket = await connect();
      let outcome: Outcome;
      let served: boolean;
      try {
        const turn = chatOutcome(
          socket,
          `agent:main:fault-${RUN}-${kind.fault.kind}-${rows.length}`,
          `fault probe: ${kind.kind}`,
          kind.boundMs ?? TURN_BOUND_MS,
        );
        // While the faulty turn runs, the Worker answers another route.
        const during = await api("/api/status");
        served = during.status === 200 && ((await during.json()) as { ok: boolean }).ok;
        outcome = await turn;
      } finally {
        socket.close();
      }
      const faulted = gateway.log.all({ provider: "anthropic" }).filter((entry) => entry.fault === kind.fault.kind).length;

      // The fault gone (reset ends stalls too), the next chat on a fresh connection gets the reply.
      gateway.reset();
      gateway.load(reply(`recovered-${RUN}`));
      const next = await connect();
      let recovered: Outcome;
      try {
        recovered = await chatOutcome(next, `agent:main:recovered-${RUN}-${rows.length}`, "after the fault: say pong", 4 * MINUTES);
      } finally {
        next.close();
      }

      const row: AiFaultRow = {
        kind: kind.kind,
        fault: JSON.stringify(kind.fault),
        expected: kind.expect,
        userSaw: `${outcome.state}: ${shorten(outcome.text)}`,
        answered: outcome.state !== "no answer" && outcome.state !== "connection closed",
        clearError: isClearError(outcome),
        ms: outcome.ms,
        workerServed: served,
        recovered: recovered.state === "final" && recovered.text.includes(REPLY),
      };
      rows.push(row);
      console.log(
        `[${kind.kind}] ${(outcome.ms / 1000).toFixed(1)} s, ${faulted} faulted model request(s); the user saw ${row.userSaw}; recovered: ${row.recovered}`,
      );

      expect(faulted, "the fault reached the emulator").toBeGreaterThan(0);
      if (kind.expect === "no answer") {
        // Nothing in the chat: the turn still running at the bound, or (seen once) the socket dropping.
        expect(row.answered, `OpenClaw now ends this turn (${row.userSaw}): set this kind's expect to "error" in ai-fault-kinds.ts`).toBe(false);
      } else {
        expect(row.answered, `no answer within ${(kind.boundMs ?? TURN_BOUND_MS) / 1000} s: ${outcome.text}`).toBe(true);
        if (kind.expect === "error") expect(row.clearError, `not a clear error: ${row.userSaw}`).toBe(true);
        else expect(outcome, row.userSaw).toMatchObject({ state: "final", text: expect.stringContaining(REPLY) });
      }
      expect(row.workerServed).toBe(true);
      expect(row.recovered, `the next chat: ${recovered.state}: ${recovered.text.slice(0, 200)}`).toBe(true);
    },
    TURN_BOUND_MS + 6 * MINUTES,
  );
});

/**
 * Issue 17's proof: a whole OpenClaw conversation through the Worker, with a tool call the agent
 * runs in the container, is recorded into a cassette and replayed from it alone.
 *
 * Record: the sandbox's AI Gateway is a recorder (startSandbox's `record`) in front of an
 * upstream that stands in for the real AI Gateway: a second emulator instance with a scripted
 * agent turn (write a file, then say so). No internet. Replay: the recorder and the upstream are
 * stopped and, on the recorder's port, a cassette player (strict) answers instead; the same
 * conversation is sent again and must end the same way, the file written again with the same
 * content, the transcript (chat.history through the Worker) the same.
 *
 * One OpenClaw boot: the container is reused between the phases, only the AI Gateway side is
 * restarted. That still proves replay: during replay the upstream is stopped (checked: its port
 * refuses connections), so every answer the agent gets comes from the cassette; the player is
 * strict, so a request the cassette does not hold would be refused with a 404 and the turn would
 * fail (checked: every request of the replay is logged as a cassette exchange with status 200);
 * the file is deleted before replay, so its reappearance is the replayed tool call's doing; the
 * replay runs in a new session, so OpenClaw builds its requests from the same starting point as
 * the recording did, not from the recorded conversation.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCassette, startAiGateway, type Scenario, type StartedAiGateway } from "../../emulators/ai-gateway/index.ts";
import { maskClockReadings } from "../../emulators/ai-gateway/cassette-replay.ts";
import { StepRunner } from "../../core/ui.ts";
import { LOOPBACK } from "../../stack/network.ts";
import { startSandbox, type StartedSandbox } from "../../stack/sandbox.ts";
import { waitForSandboxRunning } from "../shared/through-worker.ts";
import { chatTurn, GatewaySocket, messageText, newDevice } from "./openclaw-ws.ts";
import { execInContainer } from "../shared/container-exec.ts";

const MINUTES = 60_000;
const RUN = randomBytes(4).toString("hex");
const FILE = `/home/node/.openclaw/workspace/moltlab-cassette-${RUN}.md`;
const CONTENT = `taped and replayed ${RUN}\n`;
const PROMPT = "cassette-probe: write the note, then say done";
const FINAL = "Noted: the file is written.";
/** The upstream's script: one agent turn with a tool call OpenClaw runs, then the closing text. */
const SCENARIO: Scenario[] = [
  {
    name: "tool-turn",
    match: { provider: "anthropic" },
    turns: [{ text: "Writing it down.", toolCalls: [{ name: "write", input: { path: FILE, content: CONTENT } }] }, { text: FINAL }],
  },
];

/** A chat.history message reduced to what the conversation says: role, texts, tool calls and their inputs, tool results. */
function transcript(messages: unknown[]): unknown[] {
  return messages.map((message) => {
    const { role, content } = (message ?? {}) as { role?: unknown; content?: unknown };
    const blocks = Array.isArray(content)
      ? content.map((block) => {
          const { type, text, name, input, arguments: args } = (block ?? {}) as Record<string, unknown>;
          return Object.fromEntries(Object.entries({ type, text, name, input: input ?? args }).filter(([, value]) => value !== undefined));
        })
      : [{ text: messageText(message) }];
    return { role, blocks };
  });
}

describe("a cassette of an OpenClaw conversation through the Worker, tool call included", () => {
  let sandbox: StartedSandbox;
  let upstream: StartedAiGateway;
  let player: StartedAiGateway | undefined;
  let dir: string;
  let cassette: string;
  let auth: Record<string, string>;
  let recorded: { reply: string; transcript: unknown[] };
  const docker = new Docker();
  // On the bridge network the Worker is not on OpenClaw's loopback: a device, paired on first use.
  const device = newDevice();

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${sandbox.url}${path}`, {
      ...init,
      headers: { ...auth, ...(init.headers as Record<string, string> | undefined) },
      signal: AbortSignal.timeout(5 * MINUTES),
    });

  /** Through the Worker (Access JWT, the Worker injects the gateway token); approves pairing if asked. */
  async function connect(): Promise<GatewaySocket> {
    const open = () => GatewaySocket.connect({ url: sandbox.url, headers: auth, device, userAgent: "moltlab-cassette/0.1.0", timeoutMs: 2 * MINUTES });
    const { socket } = await open().catch(async (error: unknown) => {
      if (!/pair/i.test(String(error))) throw error;
      expect((await api("/api/admin/devices/approve-all", { method: "POST" })).status).toBe(200);
      return open();
    });
    return socket;
  }

  /** One conversation: the prompt in a new session, then that session's history, as the Worker serves them. */
  async function converse(session: string): Promise<{ reply: string; transcript: unknown[] }> {
    const socket = await connect();
    try {
      const turn = await chatTurn(socket, session, PROMPT, 4 * MINUTES);
      const history = (await socket.request("chat.history", { sessionKey: session, limit: 50 })) as { messages?: unknown[] };
      return { reply: turn.text, transcript: transcript(history.messages ?? []) };
    } finally {
      socket.close();
    }
  }

  /** A command in the OpenClaw container, as the agent's user (node). */
  async function inContainer(command: string[]): Promise<{ exitCode: number; output: string }> {
    const state = sandbox.platform.containers.states().find((item) => item.status === "running");
    if (!state?.containerId) throw new Error("no running OpenClaw container on the platform");
    return execInContainer(docker.getContainer(state.containerId), command, "node");
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "moltlab-cassette-openclaw-"));
    cassette = join(dir, "openclaw.json");
    upstream = await startAiGateway({ host: LOOPBACK, scenarios: SCENARIO });
    sandbox = await startSandbox({
      arch: "amd64",
      network: "bridge",
      containerPrefix: "moltlab-cassette-",
      port: 0,
      persistTo: join(dir, "state"),
      record: { to: cassette, upstream: upstream.url },
      steps: new StepRunner((line) => console.log(line)),
    });
    auth = { "CF-Access-JWT-Assertion": sandbox.access.mint() };
    // The first request wakes the sandbox; OpenClaw boots once for both phases.
    await api("/api/status");
    await api("/", { headers: { accept: "text/html" } });
    const status = async () => (await (await api("/api/status")).json()) as { status: string; container: { status: string; lastError: string | null } };
    await waitForSandboxRunning(status, 8 * MINUTES);
  }, 12 * MINUTES);

  afterAll(async () => {
    await sandbox?.stop(new StepRunner((line) => console.log(line)));
    await player?.stop();
    await upstream?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 5 * MINUTES);

  it("records the conversation: the agent runs the tool in the container, the cassette holds every exchange and no key", async () => {
    recorded = await converse(`agent:main:moltlab-cassette-record-${RUN}`);
    expect(recorded.reply).toContain(FINAL);
    expect((await inContainer(["cat", FILE])).output).toBe(CONTENT);
    // Every model request went upstream through the recorder.
    const upstreamCalls = upstream.log.all({ provider: "anthropic" });
    expect(upstreamCalls.filter((call) => call.scenario === "tool-turn").length).toBeGreaterThanOrEqual(2);

    await sandbox.aiGateway!.flushed();
    const text = await readFile(cassette, "utf8");
    const tape = parseCassette(text, cassette);
    console.log(
      `cassette: ${tape.exchanges.length} exchanges, ${text.length} bytes; requests: ${tape.exchanges
        .map(
          (exchange) =>
            `${exchange.request.path} ${exchange.request.stream ? "stream" : ""} ${Array.isArray(exchange.request.messages) ? exchange.request.messages.length : "?"} messages`,
        )
        .join("; ")}`,
    );
    expect(tape.exchanges.length).toBe(upstreamCalls.length);
    expect(text).toContain('"name": "write"');
    // The recorded tool call is the one the upstream scripted; its result went back in the next request.
    expect(tape.exchanges.some((exchange) => exchange.response.events?.some((event) => event.sse.includes("tool_use")))).toBe(true);
    expect(JSON.stringify(tape.exchanges.map((exchange) => exchange.request.messages))).toContain("tool_result");
    for (const secret of sandbox.secrets) expect(text).not.toContain(secret);
  });

  it("replays it from the cassette alone (upstream stopped, strict player): the same reply, transcript and file", async () => {
    expect(recorded, "the recording phase ran").toBeDefined();
    const port = sandbox.aiGateway!.port;
    await sandbox.aiGateway!.stop();
    await upstream.stop();
    // The stand-in for the real AI Gateway is gone: nothing but the cassette can answer.
    await expect(fetch(`${upstream.url}/__moltlab/health`)).rejects.toThrow();
    // On the recorder's port, which the Worker's OpenClaw was configured with.
    player = await startAiGateway({ host: LOOPBACK, port, cassette: { file: cassette, timing: "fast" } });

    // The tool's effect must come from the replay.
    expect((await inContainer(["rm", FILE])).exitCode).toBe(0);
    expect((await inContainer(["test", "-e", FILE])).exitCode).not.toBe(0);

    const replayed = await converse(`agent:main:moltlab-cassette-replay-${RUN}`);
    const calls = player.log.all();
    console.log(`replay: ${calls.map((call) => `${call.status} ${call.scenario ?? ""}`).join(", ")}`);
    // Strict: every request the agent made was found in the cassette (a miss is a 404 naming the first difference).
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls)
      expect({ status: call.status, scenario: call.scenario }).toEqual({ status: 200, scenario: expect.stringMatching(/^cassette exchange \d+$/) });
    // What OpenClaw sent differently on replay: only clock readings may differ (matching masks them).
    const tape = parseCassette(await readFile(cassette, "utf8"), cassette);
    for (const call of calls) {
      const index = Number(/\d+$/.exec(call.scenario ?? "")?.[0]);
      const sent = JSON.stringify((call.body as { messages?: unknown }).messages);
      const taped = JSON.stringify(tape.exchanges[index]!.request.messages);
      let at = 0;
      while (at < sent.length && sent[at] === taped[at]) at++;
      if (at === sent.length && sent.length === taped.length) at = -1;
      console.log(
        `replayed exchange ${index}: ${at < 0 ? "messages identical to the recording" : `first raw difference: recorded …${taped.slice(at - 40, at + 40)}…, sent …${sent.slice(at - 40, at + 40)}…`}`,
      );
      expect(maskClockReadings(JSON.parse(sent))).toEqual(maskClockReadings(JSON.parse(taped)));
    }
    expect(replayed.reply).toBe(recorded.reply);
    expect(replayed.transcript).toEqual(recorded.transcript);
    expect((await inContainer(["cat", FILE])).output).toBe(CONTENT);
  });
});

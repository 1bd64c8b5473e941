import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../emulators/ai-gateway/index.ts";
import { hostArch } from "../../core/host.ts";
import {
  bootTimings,
  chatCompletion,
  type Emulators,
  GATEWAY_URL,
  type Health,
  INSTANCE_TYPE,
  newGatewayToken,
  OpenclawContainer,
  openclawEnv,
  startEmulators,
} from "./openclaw-harness.ts";
import { chatTurn, GatewaySocket } from "./openclaw-ws.ts";
import { EvidenceRecorder } from "./openclaw-reports.ts";
import { type ChatFile, EVIDENCE_FILES } from "../../verify/evidence-files.ts";
import type { Arch } from "../../contract/arch.ts";
import type { InstanceType } from "../../contract/instance-types.ts";
import { holdHostPorts } from "../shared/host-ports.ts";

// OpenClaw on the host's network: ports 18789/18790 are the machine's, one such file at a time.
holdHostPorts();

/**
 * The real OpenClaw image, booted by its supervisor under Cloudflare's run profile
 * (standard-1), answers chats through the AI Gateway emulator: once over the
 * OpenAI-compatible HTTP endpoint, once over the gateway WebSocket. amd64 is what
 * Cloudflare runs; arm64 (QEMU here) is the user's boards, with the same checks.
 */
/**
 * amd64 by default. arm64 only on request (MOLTLAB_TEST_ARCHES=amd64,arm64): under QEMU on this
 * 2-core host the gateway never got ready — at standard-1 it exited 78 after ~4 min, at
 * standard-3 after ~2.5 min, both times because OpenClaw's startup state migration refused
 * ("another SQLite maintenance command owns this state directory"). The arm64 image's tools
 * are covered by openclaw-tools.test.ts; a real arm64 board is the place to run this file.
 */
const ARCHES: Arch[] = (process.env.MOLTLAB_TEST_ARCHES?.split(",") as Arch[] | undefined) ?? ["amd64"];
/**
 * Cloudflare runs amd64 only, so amd64 gets its profile (standard-1, 1/2 vCPU); arm64 stands
 * for the user's boards and gets the whole host (standard-3: 2 vCPU, 8 GiB, not privileged).
 */
const PROFILE: Record<Arch, InstanceType> = { amd64: INSTANCE_TYPE, arm64: "standard-3" };
/** What the tests measure, for `moltlab verify` (phase 0-7): reports/chat.{json,md}. */
const evidence = new EvidenceRecorder<ChatFile>(EVIDENCE_FILES.chat, "OpenClaw chat evidence (phase 0-7)", { runs: {} });

describe.each(ARCHES)("OpenClaw chat, linux/%s", (arch) => {
  const token = newGatewayToken();
  const httpReply = `Pong over HTTP from the fake model (${arch}).`;
  const wsReply = `Pong over WebSocket from the fake model (${arch}).`;
  let emulators: Emulators;
  let openclaw: OpenclawContainer;
  let ready: Health;

  beforeAll(async () => {
    emulators = await startEmulators();
    openclaw = await OpenclawContainer.start({ arch, env: openclawEnv(emulators, token), instanceType: PROFILE[arch] });
    ready = await openclaw.waitReady();
    console.log(`[${arch}] ${PROFILE[arch]} boot (host ${hostArch()}):`, JSON.stringify(bootTimings(ready, openclaw.startedAt)));
    evidence.set(`runs.${arch}`, { instanceType: PROFILE[arch], host: hostArch(), boot: bootTimings(ready, openclaw.startedAt) });
  });

  afterAll(async () => {
    await openclaw?.dispose();
    await emulators?.stop();
    await evidence.write();
  });

  it("boots to gateway-ready: restore, config and gateway phases done, /readyz answers", async () => {
    expect(ready.status).toBe("running");
    for (const phase of ["restore", "config", "gateway"]) expect(ready.phases[phase], phase).toMatchObject({ ok: true, durationMs: expect.any(Number) });
    expect(ready.lastRestore).toMatchObject({ ok: true, source: "empty" });
    expect((await fetch(`${GATEWAY_URL}/readyz`)).status).toBe(200);
    // The image built here carries OpenClaw's compile cache for this CPU (none when built under QEMU).
    const cache = arch === hostArch() ? /compile cache fits this machine/ : /carries no OpenClaw compile cache/;
    expect(openclaw.logged(cache).length, JSON.stringify(openclaw.logged(/compile cache/))).toBe(1);
    evidence.passed("boots to gateway-ready", `runs.${arch}`);
  });

  it("refuses the chat endpoint without the gateway token", async () => {
    const response = await fetch(`${GATEWAY_URL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "openclaw", messages: [{ role: "user", content: "moltlab-http-probe" }] }),
    });
    expect(response.status).toBe(401);
    expect(emulators.aiGateway.log.all({ provider: "anthropic" })).toEqual([]);
    evidence.passed("refuses the chat endpoint without the token", `runs.${arch}`);
  });

  it("answers POST /v1/chat/completions with the scripted reply, calling the emulator's Anthropic route with stream: true", async () => {
    // Scripted per test rather than by userText: OpenClaw appends its runtime context as a last
    // user message, which is the text the emulator's userText matching reads.
    emulators.aiGateway.load([{ name: "http-probe", match: { provider: "anthropic" }, reply: { text: httpReply } }]);
    const started = Date.now();
    const chat = await chatCompletion(token, "moltlab-http-probe: say pong", `moltlab-http-${arch}`);
    console.log(`[${arch}] first chat turn over HTTP: ${Date.now() - started} ms`);
    evidence.set(`runs.${arch}.httpTurn`, { status: chat.status, replied: chat.reply?.includes(httpReply) ?? false, ms: Date.now() - started });
    expect(chat.status, chat.body.slice(0, 500)).toBe(200);
    expect(chat.reply).toContain(httpReply);

    const calls = emulators.aiGateway.log.all({ provider: "anthropic" }).filter((entry) => entry.scenario === "http-probe");
    expect(calls.length).toBeGreaterThanOrEqual(1);
    const call = calls[0]!;
    expect(call.path).toMatch(/\/v1\/moltlab-account\/moltlab-gateway\/anthropic\/v1\/messages$/);
    expect(call.stream).toBe(true);
    expect(call.status).toBe(200);
    expect(call.model).toBe("claude-sonnet-4-5");
    // The key arrives, and the log holds only its fingerprint.
    const key = openclawEnv(emulators, token).CLOUDFLARE_AI_GATEWAY_API_KEY!;
    expect(call.headers["x-api-key"]).toBe(`***${fingerprint(key)}`);
    expect(JSON.stringify(call)).not.toContain(key);
    evidence.passed("answers POST /v1/chat/completions", `runs.${arch}`);
  });

  it("answers a chat turn over the WebSocket protocol (connect.challenge → connect → chat.send → final)", async () => {
    emulators.aiGateway.load([{ name: "ws-probe", match: { provider: "anthropic" }, reply: { text: wsReply } }]);
    const started = Date.now();
    const { socket, hello } = await GatewaySocket.connect({ url: GATEWAY_URL, token });
    try {
      expect(hello).toMatchObject({ type: "hello-ok", protocol: 4 });
      const turn = await chatTurn(socket, `agent:main:moltlab-ws-${arch}`, "moltlab-ws-probe: say pong");
      console.log(`[${arch}] WebSocket: connect + chat turn ${Date.now() - started} ms (turn ${turn.ms} ms); events: ${socket.eventNames().slice(0, 300)}`);
      evidence.set(`runs.${arch}.wsTurn`, { replied: turn.text.includes(wsReply), ms: Date.now() - started, turnMs: turn.ms });
      expect(turn.text).toContain(wsReply);
      expect(emulators.aiGateway.log.all({ provider: "anthropic" }).some((entry) => entry.scenario === "ws-probe" && entry.stream === true)).toBe(true);
      evidence.passed("answers a chat turn over the WebSocket", `runs.${arch}`);
    } finally {
      socket.close();
    }
  });

  it("keeps the R2 credentials out of the agent's reach: its user (node) finds them in no process and no file written since start", async () => {
    const env = openclawEnv(emulators, token);
    const health = await openclaw.health();
    // tini and the supervisor are root; the gateway, and so every command the agent runs, is node.
    const owners = await openclaw.shOk(`for pid in 1 ${health.gateway.pid}; do awk '/^Uid:/ { print $2 }' /proc/$pid/status; done`);
    expect(owners.trim().split("\n")).toEqual(["0", "1000"]);
    // A probe as node, in the agent's shoes: every /proc/*/environ and cmdline it can read and
    // every file the container wrote (docker diff), searched for the values it gets in its own
    // environment (which it skips).
    const probe = `
      const fs = require("node:fs");
      const values = { R2_ACCESS_KEY_ID: process.env.PROBE_R2_ID, R2_SECRET_ACCESS_KEY: process.env.PROBE_R2_SECRET, OPENCLAW_GATEWAY_TOKEN: process.env.PROBE_TOKEN };
      const found = []; const denied = []; let read = 0;
      const search = (where, text) => { for (const [name, value] of Object.entries(values)) if (text.includes(value)) found.push(name + " in " + where); };
      for (const pid of fs.readdirSync("/proc").filter((name) => /^\\d+$/.test(name) && Number(name) !== process.pid)) {
        for (const file of ["environ", "cmdline"]) {
          try { search("/proc/" + pid + "/" + file, fs.readFileSync("/proc/" + pid + "/" + file, "latin1")); if (file === "environ") read++; }
          catch (error) { if (file === "environ") denied.push(pid + ":" + error.code); }
        }
      }
      for (const path of JSON.parse(fs.readFileSync(process.env.PROBE_PATHS_FILE, "utf8"))) {
        try { if (fs.lstatSync(path).isFile()) search(path, fs.readFileSync(path, "latin1")); } catch {}
      }
      process.stdout.write(JSON.stringify({ found, denied, read }));`;
    // Thousands of paths: too many for an environment variable, so they go in a file.
    const paths = await openclaw.changedPaths();
    const pathsFile = "/tmp/moltlab-probe-paths.json";
    await openclaw.writeFile(pathsFile, JSON.stringify(paths));
    const result = await openclaw.exec(["node", "-e", probe], {
      PROBE_R2_ID: env.R2_ACCESS_KEY_ID!,
      PROBE_R2_SECRET: env.R2_SECRET_ACCESS_KEY!,
      PROBE_TOKEN: token,
      PROBE_PATHS_FILE: pathsFile,
    });
    expect(result.exitCode, result.output).toBe(0);
    const seen = JSON.parse(result.stdout) as { found: string[]; denied: string[]; read: number };
    console.log(
      `[${arch}] agent's-eye probe: ${seen.read} environ files read, denied ${seen.denied.join(" ")}; ${paths.length} changed paths searched; found: ${seen.found.join(", ") || "nothing"}`,
    );
    // The probe works: it finds the token in the gateway's own environment, which the gateway needs.
    expect(seen.found).toContain(`OPENCLAW_GATEWAY_TOKEN in /proc/${health.gateway.pid}/environ`);
    expect(seen.denied).toContain("1:EACCES");
    expect(seen.found.filter((hit) => hit.startsWith("R2_"))).toEqual([]);
    evidence.passed("keeps the R2 credentials out of the agent's reach", `runs.${arch}`);
  });

  it("keeps secrets out of the container's log", () => {
    const text = JSON.stringify(openclaw.logs);
    const env = openclawEnv(emulators, token);
    for (const name of ["OPENCLAW_GATEWAY_TOKEN", "CLOUDFLARE_AI_GATEWAY_API_KEY", "R2_SECRET_ACCESS_KEY"]) expect(text, name).not.toContain(env[name]!);
    expect(openclaw.logs.length).toBeGreaterThan(0);
    evidence.passed("keeps secrets out of the log", `runs.${arch}`);
  });

  it("stops on SIGTERM with exit code 0", async () => {
    const started = Date.now();
    const exitCode = await openclaw.stop();
    evidence.set(`runs.${arch}.exitCode`, exitCode);
    evidence.set(`runs.${arch}.sigtermExitMs`, Date.now() - started);
    expect(exitCode).toBe(0);
    console.log(`[${arch}] SIGTERM → exit: ${Date.now() - started} ms`);
    expect(openclaw.logged(/final backup done/).length).toBe(1);
    evidence.passed("stops on SIGTERM", `runs.${arch}`);
  });
});

/**
 * End to end, as `moltlab dev` runs it (the same startSandbox): the Worker under wrangler dev
 * → the local Containers platform → the real OpenClaw image (amd64, host networking: all
 * traffic on 127.0.0.1) → the AI Gateway emulator; logged in through the Access emulator;
 * state in the R2 bucket that wrangler dev serves to the Worker's binding and, over S3, to the
 * container. Cold-start timings are printed, never asserted.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type StartedSandbox } from "../../stack/sandbox.ts";
import { StepRunner } from "../../core/ui.ts";
import type { Scenario } from "../../emulators/ai-gateway/index.ts";
import { limitsFor } from "../../platform/index.ts";
import type { ContainerState } from "../../platform/client/types.ts";
import { postAccessLogin, waitForSandboxRunning } from "../shared/through-worker.ts";
import { waitFor } from "../shared/wait.ts";
import { chatTurn, GatewaySocket, messageText } from "./openclaw-ws.ts";
import { execInContainer } from "../shared/container-exec.ts";
import { holdHostPorts } from "../shared/host-ports.ts";

// OpenClaw on the host's network: ports 18789/18790 are the machine's, one such file at a time.
holdHostPorts();

const MINUTES = 60_000;
/** A web service of the user's in the container, on a hostname of its own (`*.localhost` resolves to the loopback in browsers). */
const BOARD = { host: "board.localhost", port: 18795 };
const HTTP_REPLY = "Pong over HTTP through the Worker, from the scripted gateway.";
const WS_REPLY = "Pong over the WebSocket through the Worker, from the scripted gateway.";
const MEMORY_TEXT = `moltlab-e2e-memory-${randomBytes(6).toString("hex")}`;
const MEMORY_FILE = "/home/node/.openclaw/workspace/memory/moltlab-e2e.md";
const SESSION = `agent:main:moltlab-e2e-${randomBytes(4).toString("hex")}`;
/** Its own session: the emulator picks a scenario's turn by the assistant turns already in the conversation. */
const MEMORY_SESSION = `${SESSION}-memory`;

// Matched by provider only and loaded right before each turn: OpenClaw appends its own context
// after the user's text, so the last user text is not what the test typed.
const reply = (name: string, text: string): Scenario[] => [{ name, match: { provider: "anthropic" }, reply: { text } }];
const MEMORY_SCENARIO: Scenario[] = [
  {
    name: "memory",
    match: { provider: "anthropic" },
    // OpenClaw really runs the tool the fake model asks for, then comes back for the next turn.
    turns: [{ text: "Writing it down.", toolCalls: [{ name: "write", input: { path: MEMORY_FILE, content: MEMORY_TEXT } }] }, { text: "Noted." }],
  },
];

/** Who listens on these ports in this network namespace (/proc/net/tcp{,6}): "loopback" or "any" per socket. */
async function listeners(ports: number[]): Promise<Record<number, string[]>> {
  const found: Record<number, string[]> = Object.fromEntries(ports.map((port) => [port, []]));
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of (await readFile(file, "utf8").catch(() => "")).split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== "0A" || !local) continue; // 0A: LISTEN
      const [address, portHex] = local.split(":");
      const port = parseInt(portHex!, 16);
      if (!(port in found)) continue;
      const loopback = address === "0100007F" || address === "00000000000000000000000001000000";
      const kind = loopback ? "loopback" : /^0+$/.test(address!) ? "any" : `address ${address}`;
      if (!found[port]!.includes(kind)) found[port]!.push(kind);
    }
  }
  return found;
}

/** Live (not zombie) processes of a process group, from /proc/<pid>/stat. */
async function liveInGroup(group: number): Promise<number[]> {
  const live: number[] = [];
  for (const pid of (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry))) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    const [state, , pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgid) === group && state !== "Z") live.push(Number(pid));
  }
  return live;
}

describe("e2e: Worker → local Containers platform → OpenClaw → AI Gateway emulator, with Access and R2", () => {
  let sandbox: StartedSandbox;
  let stateDir: string;
  let auth: Record<string, string>;
  const workerLines: string[] = [];
  const docker = new Docker();

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${sandbox.url}${path}`, {
      ...init,
      headers: { ...auth, ...(init.headers as Record<string, string> | undefined) },
      signal: AbortSignal.timeout(5 * MINUTES),
      redirect: "manual",
    });
  const status = async () =>
    (await (await api("/api/status")).json()) as { ok: boolean; status: string; container: { starts: number; status: string; lastError: string | null } };

  /** Through the Worker: the Access JWT on the upgrade, no gateway token (the Worker injects it). */
  const connect = () => GatewaySocket.connect({ url: sandbox.url, headers: auth, userAgent: "moltlab-e2e/0.1.0", timeoutMs: 2 * MINUTES });

  /** The platform's state of the OpenClaw container it runs now. */
  function running(): ContainerState & { containerId: string } {
    const state = sandbox.platform.containers.states().find((item) => item.status === "running");
    if (!state?.containerId) throw new Error("no running OpenClaw container on the platform");
    return { ...state, containerId: state.containerId };
  }

  /** The OpenClaw container the platform runs now. */
  function container(): Docker.Container {
    return docker.getContainer(running().containerId);
  }

  /** A request to the Worker as a browser sends it for another hostname (fetch cannot set Host). */
  function requestOnHost(host: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const url = new URL(sandbox.url);
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        { host: url.hostname, port: url.port, path, headers: { ...headers, host: `${host}:${url.port}` }, timeout: MINUTES },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          response.on("error", reject);
        },
      );
      request.on("timeout", () => request.destroy(new Error(`no answer from ${host}${path} within a minute`)));
      request.on("error", reject);
      request.end();
    });
  }

  async function execOutput(command: string[]): Promise<string> {
    return (await execInContainer(container(), command, "node")).output;
  }

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "moltlab-e2e-state-"));
    sandbox = await startSandbox({
      // Not wrangler.jsonc's standard-1 (the platform's default too): the test sees it arrive.
      arch: "amd64",
      network: "host",
      instanceType: "standard-2",
      port: 0,
      persistTo: stateDir,
      webServices: [BOARD],
      steps: new StepRunner((line) => console.log(line)),
      onWorkerLine: (line) => workerLines.push(line),
    });
    auth = { "CF-Access-JWT-Assertion": sandbox.access.mint() };
  }, 10 * MINUTES);

  afterAll(async () => {
    await sandbox?.stop(new StepRunner((line) => console.log(line)));
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  }, 5 * MINUTES);

  it("refuses /api/status without an Access token (401) and sends a browser to the Access login", async () => {
    const bare = await fetch(`${sandbox.url}/api/status`);
    expect(bare.status).toBe(401);
    const page = await fetch(`${sandbox.url}/`, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toContain(`${sandbox.access.teamDomain}/cdn-cgi/access/login/`);
  });

  it("logs in through the login page's cookie flow", async () => {
    const login = await fetch(sandbox.access.loginUrl(`${sandbox.url}/api/status`));
    expect(await login.text()).toContain(sandbox.access.identities[0]);
    const posted = await postAccessLogin(
      `${sandbox.access.teamDomain}/cdn-cgi/access/login/127.0.0.1`,
      sandbox.access.identities[0]!,
      `${sandbox.url}/api/status`,
    );
    expect(posted.status).toBe(302);
    const cookie = posted.cookie;
    expect(cookie).toBeDefined();
    const withCookie = await fetch(posted.location!, { headers: { cookie: cookie! } });
    expect(withCookie.status).toBe(200);
    expect(await withCookie.json()).toMatchObject({ status: "not_running" });
  });

  it("serves the loading page while cold, then OpenClaw answers a chat with the scripted reply through the Worker", async () => {
    const firstRequest = Date.now();
    const cold = await api("/", { headers: { accept: "text/html" } });
    expect(cold.status).toBe(503);
    expect(cold.headers.get("x-moltlab-sandbox")).toBe("starting");
    expect(await cold.text()).toContain("Starting OpenClaw");

    const ready = await waitForSandboxRunning(status, 8 * MINUTES);
    const readyAt = Date.now();
    expect(ready.ok).toBe(true);
    // The instance type went Worker → platform → Docker: standard-2's memory and CPU share.
    expect(running().instanceType).toBe("standard-2");
    const { HostConfig } = await container().inspect();
    expect({ memory: HostConfig.Memory, nanoCpus: HostConfig.NanoCpus }).toEqual({
      memory: 6 * 1024 ** 3,
      nanoCpus: limitsFor("standard-2", cpus().length).nanoCpus,
    });
    const state = (await (await api("/api/admin/state")).json()) as { bootMs: number | null; phases: Record<string, { durationMs?: number }> | null };
    const phases =
      state.phases ??
      (await waitFor(
        "boot phases in /api/admin/state",
        async () => ((await (await api("/api/admin/state")).json()) as typeof state).phases ?? undefined,
        MINUTES,
      ));
    console.log(
      `cold start through the Worker: first request → running ${readyAt - firstRequest} ms; DO start → gateway ready ${state.bootMs} ms; ` +
        `phases: ${Object.entries(phases)
          .map(([name, phase]) => `${name} ${phase.durationMs ?? "?"} ms`)
          .join(", ")}`,
    );

    // Secrets travel in the container's environment and 0600 files only: no process shows one.
    const leaks: string[] = [];
    for (const pid of (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry))) {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
      for (const value of sandbox.secrets) if (cmdline.includes(value)) leaks.push(`pid ${pid}`);
    }
    expect(leaks).toEqual([]);
    expect(existsSync(join(sandbox.configDir, ".dev.vars"))).toBe(true);
    // Host networking: the gateway (18789) and the control API (18790) listen on loopback only.
    expect(await listeners([18789, 18790])).toEqual({ 18789: ["loopback"], 18790: ["loopback"] });

    sandbox.aiGateway!.load(reply("http-probe", HTTP_REPLY));
    const chat = await api("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${sandbox.gatewayToken}` },
      body: JSON.stringify({ model: "openclaw", user: "moltlab-e2e-http", messages: [{ role: "user", content: "e2e-http-probe: say pong" }] }),
    });
    const body = await chat.text();
    expect(chat.status, body.slice(0, 500)).toBe(200);
    expect((JSON.parse(body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toContain(HTTP_REPLY);
    expect(sandbox.aiGateway!.log.all({ provider: "anthropic" }).some((entry) => entry.scenario === "http-probe")).toBe(true);
  });

  it("speaks OpenClaw's WebSocket protocol through the Worker (challenge, connect with the injected token, a chat turn), and writes a memory file with a tool", async () => {
    const { socket, hello } = await connect().catch(async (error: unknown) => {
      // Pairing: a device the gateway does not know waits for approval; the admin API gives it.
      if (!/pair/i.test(String(error))) throw error;
      const devices = await api("/api/admin/devices");
      console.log(`pairing required: ${devices.status} ${(await devices.text()).slice(0, 300)}`);
      expect((await api("/api/admin/devices/approve-all", { method: "POST" })).status).toBe(200);
      return connect();
    });
    try {
      expect(hello).toBeTypeOf("object");
      for (const [session, text, scenarios, expected] of [
        [SESSION, "e2e-ws-probe: say pong", reply("ws-probe", WS_REPLY), WS_REPLY],
        [MEMORY_SESSION, "e2e-remember: write the codeword to memory", MEMORY_SCENARIO, "Noted."],
      ] as const) {
        sandbox.aiGateway!.load(scenarios);
        expect((await chatTurn(socket, session, text, 4 * MINUTES)).text).toContain(expected);
      }
    } finally {
      socket.close();
    }
    expect(await execOutput(["cat", MEMORY_FILE])).toContain(MEMORY_TEXT);
  });

  it("restarts from the admin API and comes back with the state restored from R2 (memory file, conversation)", async () => {
    const before = await status();
    const restart = await api("/api/admin/gateway/restart", { method: "POST" });
    expect(restart.status).toBe(202);
    const restarted = Date.now();
    // The graceful stop ran the supervisor's final backup; a fresh container restores it.
    const after = await waitFor(
      "the sandbox running again after the restart",
      async () => {
        const current = await status();
        return current.status === "running" && current.container.starts > before.container.starts ? current : undefined;
      },
      8 * MINUTES,
    );
    console.log(`restart through the admin API: restart → running again ${Date.now() - restarted} ms`);
    expect(after.container.starts).toBe(before.container.starts + 1);

    const storage = (await (await api("/api/admin/storage")).json()) as {
      configured: boolean;
      lastRestore: { source?: string; files?: number } | null;
      lastBackup: unknown;
    };
    expect(storage.configured).toBe(true);
    expect(storage.lastRestore).toMatchObject({ source: "snapshot" });
    expect(await execOutput(["cat", MEMORY_FILE])).toContain(MEMORY_TEXT);

    const { socket } = await connect();
    try {
      const history = (await socket.request("chat.history", { sessionKey: SESSION, limit: 50 })) as { messages?: unknown[] };
      const texts = (history.messages ?? []).map(messageText);
      expect(texts.some((text) => text.includes("e2e-ws-probe"))).toBe(true);
      expect(texts.some((text) => text.includes(WS_REPLY))).toBe(true);
    } finally {
      socket.close();
    }
  });

  it("reaches your own web service in the container on its hostname through the Worker, behind Access (SANDBOX_WEB_SERVICES)", async () => {
    // A board of the user's: any HTTP server in the container on the port SANDBOX_WEB_SERVICES names.
    const server = `require("node:http").createServer((q, s) => { s.setHeader("content-type", "text/plain"); s.end("board " + q.url); }).listen(${BOARD.port}, "127.0.0.1")`;
    const started = await execInContainer(container(), ["sh", "-c", `nohup node -e '${server}' >/dev/null 2>&1 &`], "node");
    expect(started.exitCode, started.output).toBe(0);
    const board = await waitFor(
      "the board answering through the Worker",
      async () => {
        const answer = await requestOnHost(BOARD.host, "/cards?x=1", auth);
        return answer.status === 200 ? answer : undefined;
      },
      MINUTES,
      1000,
    );
    expect(board.body).toBe("board /cards?x=1");
    // Same Worker, same Access: without a token the board is not served.
    const anonymous = await requestOnHost(BOARD.host, "/cards", { accept: "application/json" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).not.toContain("board");
    // And the gateway's own hostname still goes to OpenClaw.
    expect((await api("/api/status")).status).toBe(200);
  });

  it("never prints a secret in the Worker's output", () => {
    expect(workerLines.length).toBeGreaterThan(0);
    for (const value of sandbox.secrets) expect(workerLines.join("\n")).not.toContain(value);
  });

  it("stops everything: no container, no wrangler/workerd of its own, no temp dir", async () => {
    const containerIds = sandbox.platform.containers
      .states()
      .map((state) => state.containerId)
      .filter(Boolean);
    await sandbox.stop(new StepRunner((line) => console.log(line)));
    for (const id of containerIds) await expect(docker.getContainer(id!).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const owned = await docker.listContainers({ all: true, filters: { label: [`moltlab.platform.owner=${sandbox.platform.containers.owner}`] } });
    expect(owned).toEqual([]);
    // Killed processes linger as zombies until reaped: only live members of wrangler's group count.
    await waitFor("wrangler's process group to end", async () => (await liveInGroup(sandbox.wrangler.pid)).length === 0, 30_000, 250);
    expect(existsSync(sandbox.configDir)).toBe(false);
  });
});

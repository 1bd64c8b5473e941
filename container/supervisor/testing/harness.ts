/**
 * Test helpers: temp homes, the fake OpenClaw wrapper, free ports, a bounded poll, the
 * supervisor as a real child process whose JSON log lines are collected, and the hooks of a
 * test file that runs it against the R2 stand-in.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, beforeAll } from "vitest";
import { startR2, type StartedR2 } from "../../../emulators/r2/index.ts";
import { waitFor as poll } from "../../../tests/shared/wait.ts";

const here = import.meta.dirname;
/** MOLTLAB_SUPERVISOR_BUNDLE runs the end-to-end tests against the esbuild bundle instead of the sources. */
export const MAIN = process.env.MOLTLAB_SUPERVISOR_BUNDLE || join(here, "..", "main.ts");
export const FAKE_OPENCLAW = join(here, "fake-openclaw.ts");

export type LogLine = { time: string; level: string; phase: string; msg: string; [key: string]: unknown };

/** The shared bounded poll at the pace of in-process tests: 20 s by default, every 25 ms. */
export function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  return poll(what, check, timeoutMs, 25);
}

export async function tempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `moltlab-supervisor-${label}-`));
}

export async function removeDirs(dirs: string[]): Promise<void> {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An executable that runs the fake with this Node: what OPENCLAW_BIN points at. */
export async function fakeOpenclawBin(dir: string): Promise<string> {
  const path = join(dir, "openclaw");
  await writeFile(path, `#!/bin/sh\nexec "${process.execPath}" "${FAKE_OPENCLAW}" "$@"\n`);
  await chmod(path, 0o755);
  return path;
}

export function secret(label: string): string {
  return `${label}-${randomBytes(12).toString("hex")}`;
}

/** The supervisor's environment for a test: its own HOME, a free gateway port, the R2 stand-in under a unique prefix. */
export async function supervisorEnv(home: string, r2: StartedR2 | null, prefix: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    OPENCLAW_GATEWAY_TOKEN: secret("gw-token"),
    OPENCLAW_BIN: await fakeOpenclawBin(home),
    MOLTLAB_GATEWAY_PORT: String(await freePort()),
    MOLTLAB_CONTROL_HOST: "127.0.0.1",
    MOLTLAB_CONTROL_PORT: "0",
    MOLTLAB_BACKUP_INTERVAL: "0.2",
    MOLTLAB_R2_ATTEMPTS: "2",
    MOLTLAB_TOOLS_FILE: join(home, "tools.json"),
    ...(r2
      ? {
          R2_ACCESS_KEY_ID: r2.accessKeyId,
          R2_SECRET_ACCESS_KEY: r2.secretAccessKey,
          R2_ENDPOINT: r2.endpoint,
          R2_BUCKET_NAME: r2.bucket,
          MOLTLAB_R2_PREFIX: prefix,
        }
      : {}),
    ...extra,
  };
}

export interface RunningSupervisor {
  child: ChildProcess;
  logs: LogLine[];
  /** Raw stdout+stderr text, to check nothing unstructured or secret slips through. */
  output: string[];
  env: Record<string, string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  controlPort(): Promise<number>;
  control(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<RunningSupervisor>();

export function startSupervisor(env: Record<string, string>): RunningSupervisor {
  const child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
  const logs: LogLine[] = [];
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => {
      output.push(line);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        // Kept in `output`; tests assert every line is JSON.
      }
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      // Let readline deliver the last lines before callers look at the logs.
      setImmediate(() => resolve({ code, signal }));
    });
  });
  const waitForLog = async (what: string, match: (line: LogLine) => boolean, timeoutMs?: number) => {
    try {
      return await waitFor(`log line: ${what}`, () => logs.find(match), timeoutMs);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- last output ---\n${output.slice(-40).join("\n")}`);
    }
  };
  const controlPort = async () => (await waitForLog("control API listening", (line) => line.msg === "control API listening")).port as number;
  const supervisor: RunningSupervisor = {
    child,
    logs,
    output,
    env,
    exited,
    waitForLog,
    controlPort,
    async control(path, init = {}) {
      const port = await controlPort();
      const token = init.token === undefined ? env.OPENCLAW_GATEWAY_TOKEN : init.token;
      const headers = new Headers(init.headers);
      if (token !== null) headers.set("authorization", `Bearer ${token}`);
      return fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
  running.add(supervisor);
  void exited.then(() => running.delete(supervisor));
  return supervisor;
}

/** Kills whatever a failed test left running: supervisors, the gateways they started and their children. */
export function killAll(): void {
  for (const supervisor of running) {
    for (const line of supervisor.logs) {
      if (line.msg === "gateway started" && typeof line.pid === "number") {
        try {
          process.kill(-line.pid, "SIGKILL"); // the gateway leads its own process group
        } catch {
          // already gone
        }
      }
    }
    supervisor.child.kill("SIGKILL");
  }
  running.clear();
}

/**
 * A TCP pass-through in front of a local server that can be cut (refusing), stalled (accepting
 * and never answering) and restored, to simulate an outage without giving up the port (stopping and re-binding a server on
 * the same port races with every other test picking free ports). Bytes pass unchanged,
 * so SigV4 signatures over the Host header stay valid.
 */
export async function tcpSwitch(targetPort: number): Promise<{ port: number; down(): void; stall(): void; up(): void; close(): Promise<void> }> {
  let mode: "open" | "down" | "stall" = "open";
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (mode === "down") {
      client.destroy();
      return;
    }
    if (mode === "stall") {
      // Accepted, never answered: a server that hangs rather than refuses.
      sockets.add(client);
      client.on("close", () => sockets.delete(client));
      client.on("error", () => undefined);
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (server.address() as { port: number }).port,
    down: () => {
      mode = "down";
      cut();
    },
    stall: () => {
      mode = "stall";
      cut();
    },
    up: () => {
      mode = "open";
    },
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}

/** Waits for the supervisor's gateway to answer. */
export const gatewayReady = (s: RunningSupervisor) => s.waitForLog("gateway ready", (line) => line.msg === "gateway ready");

/** A URL on the supervisor's gateway (its own port, on loopback). */
export const gatewayUrl = (s: RunningSupervisor, path: string) => `http://127.0.0.1:${s.env.MOLTLAB_GATEWAY_PORT}${path}`;

export interface SupervisorSuite {
  /** The file's R2 stand-in, started before its first test. */
  readonly r2: StartedR2;
  /** A temp dir removed after the test. */
  temp(label: string): Promise<string>;
  /** A bucket prefix no other test of the run uses: `<label><n>/`. */
  prefix(): string;
}

/**
 * The hooks of a test file that runs the supervisor as a process against R2: one R2 stand-in
 * for the file, and after each test whatever it left running killed and its temp dirs removed.
 * Call it once, at the top of the file.
 */
export function supervisorSuite(label: string): SupervisorSuite {
  let r2: StartedR2 | undefined;
  const dirs: string[] = [];
  let n = 0;
  beforeAll(async () => {
    r2 = await startR2();
  });
  afterAll(async () => {
    await r2?.stop();
  });
  afterEach(async () => {
    killAll();
    await removeDirs(dirs);
  });
  return {
    get r2() {
      if (!r2) throw new Error("supervisorSuite: R2 starts in beforeAll; use it inside a test");
      return r2;
    },
    async temp(dirLabel) {
      const dir = await tempDir(dirLabel);
      dirs.push(dir);
      return dir;
    },
    prefix: () => `${label}${++n}/`,
  };
}

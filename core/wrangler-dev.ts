/**
 * `wrangler dev` as a child process, shared by the R2 stand-in's wrangler backend and
 * `moltlab dev`: spawned with this process's Node (npm puts Node 24 first on PATH; the
 * system Node may be too old for wrangler), fully offline, in a process group of its own
 * (bin script → wrangler → workerd, esbuild) so that stopping it — or this process dying —
 * never leaves a workerd behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { stripVTControlCharacters } from "node:util";

// Bounds, not expectations: wrangler is ready in ~2.5 s and stops in well under a second here.
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_LINES = 40;

export interface WranglerDevOptions {
  /** The config file (wrangler.json); secrets belong in it or in a .dev.vars beside it, never in argv. */
  config: string;
  /** Not the caller's directory: wrangler would read its .env files. */
  cwd: string;
  host: string;
  /** Explicit: wrangler's own default (8787) may be taken by anything. 0: any free port, which wrangler reports in its Ready line (`url`). */
  port: number;
  persistTo: string;
  /** wrangler's dev registry: one per session, so other `wrangler dev` sessions neither see nor bind to this one. */
  registry: string;
  /** `--env NAME`. */
  environment?: string;
  /** `--test-scheduled`: GET /__scheduled?cron=… runs the Worker's scheduled handler (a Cron Trigger by hand). */
  testScheduled?: boolean;
  /** Values to replace by `****` in every line of wrangler's output handed on (errors, `onLine`). */
  secrets?: readonly string[];
  /** Each line wrangler prints once it is ready (masked). Without it the output is drained and dropped. */
  onLine?: (line: string) => void;
  /** Runs synchronously if this process ends (crash, signal) while wrangler still runs: e.g. remove a temp dir. */
  onAbandon?: () => void;
}

export interface WranglerDev {
  /** From wrangler's own "Ready on http://…" line. */
  readonly url: URL;
  readonly pid: number;
  /** SIGTERM to the group, SIGKILL after a grace period and for anything left. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when wrangler exits, for whatever reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** wrangler's bin script (run with process.execPath, never via `node` on PATH). */
export function wranglerBin(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve("wrangler/package.json");
  const { bin } = require(packageJson) as { bin: Record<string, string> };
  return join(dirname(packageJson), bin.wrangler!);
}

/**
 * A port that was free a moment ago. If another process takes it meanwhile, wrangler exits
 * with "Address already in use", which startWranglerDev reports.
 */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts `wrangler dev --local` and resolves once it is ready; rejects (leaving nothing running) with its output's tail. */
export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  // wrangler's Miniflare keeps a /tmp/miniflare-<hash> folder that it removes only on a clean
  // dispose, which a signal to the group does not give it: one left behind per session. Its own
  // TMPDIR, removed once the group has ended, takes that folder (and anything else) with it.
  const tmp = mkdtempSync(join(tmpdir(), "moltlab-wrangler-tmp-"));
  const removeTmp = () => rmSync(tmp, { recursive: true, force: true });
  const child = spawn(
    process.execPath,
    [
      wranglerBin(),
      "dev",
      "--config",
      options.config,
      "--local",
      ...(options.environment ? ["--env", options.environment] : []),
      ...(options.testScheduled ? ["--test-scheduled"] : []),
      "--ip",
      options.host,
      "--port",
      String(options.port),
      "--persist-to",
      options.persistTo,
      // Its devtools port: otherwise the first free one from 9229, which two wrangler dev starting at
      // once both pick (the second then exits with "Address already in use"); 0 lets the OS choose.
      "--inspector-port",
      "0",
      "--show-interactive-dev-session=false",
    ],
    {
      cwd: options.cwd,
      env: {
        ...process.env,
        // Fully offline and quiet: no cf.json download, no telemetry, no debug log files in ~/.config.
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_SEND_ERROR_REPORTS: "false",
        WRANGLER_WRITE_LOGS: "false",
        WRANGLER_REGISTRY_PATH: options.registry,
        WRANGLER_CI_DISABLE_CONFIG_WATCHING: "true",
        NO_COLOR: "1",
        FORCE_COLOR: "0",
        TMPDIR: tmp,
      },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const group = child.pid!;
  trackGroup(group, () => {
    removeTmp();
    options.onAbandon?.();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const mask = (line: string) => (options.secrets ?? []).reduce((text, secret) => (secret ? text.replaceAll(secret, "****") : text), line);
  let url: URL;
  try {
    url = await readyUrl(child, mask, options.onLine);
  } catch (error) {
    await endGroup(child, group);
    removeTmp();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    url,
    pid: group,
    exited,
    stop: () => (stopping ??= endGroup(child, group).then(removeTmp)),
  };
}

/**
 * Resolves with the URL of wrangler's "Ready on http://…" line. Rejects if wrangler exits
 * first or is not ready in time, with the end of its output (secrets masked) as the reason.
 */
function readyUrl(wrangler: ChildProcess, mask: (line: string) => string, onLine: ((line: string) => void) | undefined): Promise<URL> {
  const lines: string[] = [];
  let ready = false;
  const tail = () => lines.slice(-OUTPUT_TAIL_LINES).join("\n");
  return new Promise<URL>((resolve, reject) => {
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      settle(() => reject(new Error(`wrangler dev exited (${signal ?? `code ${code}`}) before it was ready; its output ended with:\n${tail()}`)));
    const timer = setTimeout(
      () => settle(() => reject(new Error(`wrangler dev was not ready within ${READY_TIMEOUT_MS / 1000} s; its output ended with:\n${tail()}`))),
      READY_TIMEOUT_MS,
    );
    function settle(outcome: () => void) {
      clearTimeout(timer);
      wrangler.off("exit", onExit);
      outcome();
    }
    // Read to the end in every case: a full pipe would block wrangler's logging, and with it wrangler.
    for (const stream of [wrangler.stdout!, wrangler.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on("line", (raw) => {
        // Colours are off, but a user's FORCE_COLOR elsewhere must not break the match.
        const line = mask(stripVTControlCharacters(raw));
        if (ready) {
          onLine?.(line);
          return;
        }
        lines.push(line);
        const match = /Ready on (https?:\/\/\S+)/.exec(line);
        if (match) {
          ready = true;
          settle(() => resolve(new URL(match[1]!)));
        }
      });
    }
    wrangler.once("exit", onExit);
  });
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch (error) {
    // ESRCH: nothing left in the group.
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * SIGTERM to the whole group: wrangler disposes workerd, and its bin script exits after it.
 * SIGKILL if that takes too long, and once more afterwards for anything the bin script left behind.
 */
async function endGroup(wrangler: ChildProcess, group: number): Promise<void> {
  untrackGroup(group);
  if (wrangler.exitCode === null && wrangler.signalCode === null) {
    const exited = new Promise<void>((resolve) => wrangler.once("exit", () => resolve()));
    signalGroup(group, "SIGTERM");
    const timer = setTimeout(() => signalGroup(group, "SIGKILL"), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
  signalGroup(group, "SIGKILL");
}

// A detached group outlives this process unless killed. The exit handler covers a normal end
// and a crash; the signal handlers cover SIGINT/SIGTERM/SIGHUP, which end Node without running
// exit handlers. Both are synchronous: by then no async stop() can run.
const running = new Map<number, () => void>();
const EXIT_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function killAll(): void {
  for (const [group, abandon] of running) {
    signalGroup(group, "SIGKILL");
    abandon();
  }
  running.clear();
  detachHandlers();
}

function onSignal(signal: NodeJS.Signals): void {
  // Alone, our listener would swallow the signal; with others (a CLI's own shutdown), they decide.
  const alone = process.listenerCount(signal) === 1;
  if (!alone) return;
  killAll();
  process.kill(process.pid, signal);
}

function trackGroup(group: number, abandon: () => void): void {
  if (running.size === 0) {
    process.on("exit", killAll);
    for (const signal of EXIT_SIGNALS) process.on(signal, onSignal);
  }
  running.set(group, abandon);
}

function untrackGroup(group: number): void {
  running.delete(group);
  if (running.size === 0) detachHandlers();
}

function detachHandlers(): void {
  process.off("exit", killAll);
  for (const signal of EXIT_SIGNALS) process.off(signal, onSignal);
}

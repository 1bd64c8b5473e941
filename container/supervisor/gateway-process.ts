/**
 * The OpenClaw gateway as a child process. Its secrets travel in its environment (the
 * config holds ${VAR} references), never on its command line, where every local user can
 * read them in /proc/<pid>/cmdline. R2 credentials are not passed at all: the agent's exec
 * tool runs shell commands in the gateway's environment and has no business with them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { AI_GATEWAY_KEY, AI_GATEWAY_KEY_ALIAS } from "./config.ts";
import type { Env, GatewayBind } from "./env.ts";
import type { Logger } from "./log.ts";

export interface GatewayOptions {
  bin: string;
  port: number;
  bind: GatewayBind;
  /** Read when the gateway starts: the config decides part of it (see gatewayEnv). */
  env: () => Record<string, string>;
  log: Logger;
}

export type ExitInfo = { code: number | null; signal: NodeJS.Signals | null };

/** Variables the gateway must not see: the supervisor's own settings and the R2 credentials. */
const SUPERVISOR_ONLY = /^(R2_|MOLTLAB_)|^CF_ACCOUNT_ID$/;

/**
 * The gateway's environment: ours minus the supervisor-only variables, plus the resolved paths
 * and token. With `aliasAiGatewayKey` (the config's choice) the AI Gateway key is passed under
 * AI_GATEWAY_KEY_ALIAS only: under its own name OpenClaw would install a plugin at every boot.
 */
export function gatewayEnv(env: Env, extra: Record<string, string>, options: { aliasAiGatewayKey: boolean }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && !SUPERVISOR_ONLY.test(name)) out[name] = value;
  const key = out[AI_GATEWAY_KEY];
  if (options.aliasAiGatewayKey && key !== undefined) {
    delete out[AI_GATEWAY_KEY];
    out[AI_GATEWAY_KEY_ALIAS] = key;
  }
  return { ...out, ...extra };
}

export function gatewayArgs(port: number, bind: GatewayBind = "lan"): string[] {
  return ["gateway", "--port", String(port), "--bind", bind, "--allow-unconfigured"];
}

export class GatewayProcess {
  readonly #options: GatewayOptions;
  #child: ChildProcess | null = null;
  #exit: Promise<ExitInfo> | null = null;
  #stopping = false;
  ready = false;
  startedAt: number | null = null;
  readyAt: number | null = null;

  constructor(options: GatewayOptions) {
    this.#options = options;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Resolves with how the process ended. */
  start(): Promise<ExitInfo> {
    const { bin, port, bind, env, log } = this.#options;
    const child = spawn(bin, gatewayArgs(port, bind), { env: env(), stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    this.startedAt = Date.now();
    for (const [stream, level] of [[child.stdout!, "info"], [child.stderr!, "warn"]] as const) {
      createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
        if (line.trim()) log[level]("gateway", line.length > 8000 ? `${line.slice(0, 8000)}…` : line, { stream: level === "info" ? "stdout" : "stderr" });
      });
    }
    this.#exit = new Promise((resolve) => {
      child.once("error", (error) => {
        log.error("gateway", `cannot start ${bin}: ${error.message}`);
        resolve({ code: 127, signal: null });
      });
      child.once("exit", (code, signal) => {
        this.ready = false;
        resolve({ code, signal });
      });
    });
    log.info("gateway", "gateway started", { pid: child.pid, bin, args: gatewayArgs(port, bind) });
    return this.#exit;
  }

  /** Polls /readyz until it answers 200; resolves false if the process ends first. */
  async waitReady(): Promise<boolean> {
    const { port, log } = this.#options;
    let exited = false;
    void this.#exit?.then(() => (exited = true));
    let lastNotice = Date.now();
    while (!exited) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
        await response.body?.cancel();
        if (response.ok) {
          this.ready = true;
          this.readyAt = Date.now();
          return true;
        }
      } catch {
        // Not listening yet.
      }
      if (Date.now() - lastNotice >= 30_000) {
        lastNotice = Date.now();
        log.info("gateway", "still waiting for /readyz", { waitingMs: Date.now() - this.startedAt! });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return false;
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process is gone. */
  async stop(timeoutMs: number): Promise<ExitInfo | null> {
    const child = this.#child;
    if (!child || !this.#exit) return null;
    this.#stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return this.#exit;
    child.kill("SIGTERM");
    const timer = setTimeout(() => {
      this.#options.log.warn("shutdown", `gateway did not exit within ${timeoutMs} ms of SIGTERM; sending SIGKILL`);
      child.kill("SIGKILL");
    }, timeoutMs);
    try {
      return await this.#exit;
    } finally {
      clearTimeout(timer);
    }
  }
}

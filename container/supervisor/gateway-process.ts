/**
 * The OpenClaw gateway as a child process. Its secrets travel in its environment (the
 * config holds ${VAR} references), never on its command line, where every local user can
 * read them in /proc/<pid>/cmdline. R2 credentials are not passed at all: the agent's exec
 * tool runs shell commands in the gateway's environment and has no business with them.
 * It runs as the gateway user (see gateway-user.ts), leading a process group of its own, so
 * that stopping it stops everything it started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { AI_GATEWAY_KEY, AI_GATEWAY_KEY_ALIAS } from "./config.ts";
import type { GatewayBind, EnvVars } from "./env.ts";
import { spawnIdentity, type GatewayUser } from "./gateway-user.ts";
import type { Logger } from "./log.ts";
import { killRemaining, signalGroup } from "./process-tree.ts";

export interface GatewayOptions {
  bin: string;
  port: number;
  bind: GatewayBind;
  /** null: the supervisor's own user. */
  user: GatewayUser | null;
  /** Read when the gateway starts: the config decides part of it (see gatewayEnv). */
  env: () => Record<string, string>;
  /** The chat channels the written openclaw.json configures (its `channels` keys): see readiness(). */
  channels: () => readonly string[];
  log: Logger;
}

export type GatewayExit = { code: number | null; signal: NodeJS.Signals | null };

/** Variables the gateway must not see: the supervisor's own settings and the R2 credentials. */
const SUPERVISOR_ONLY = /^(R2_|MOLTLAB_)|^CF_ACCOUNT_ID$/;

/**
 * The gateway's environment: ours minus the supervisor-only variables, plus the resolved paths
 * and token. With `aliasAiGatewayKey` (the config's choice) the AI Gateway key is passed under
 * AI_GATEWAY_KEY_ALIAS only: under its own name OpenClaw would install a plugin at every boot.
 */
export function gatewayEnv(env: EnvVars, extra: Record<string, string>, options: { aliasAiGatewayKey: boolean }): Record<string, string> {
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

/** What an answer of OpenClaw's /readyz means to the supervisor. */
export interface Readiness {
  ready: boolean;
  /** Configured channels OpenClaw reports failing while the gateway itself is up. */
  failingChannels: string[];
}

/**
 * OpenClaw's /readyz answers 503 `{ ready: false, failing: [...] }` both while it starts (a start-up
 * reason: "startup-sidecars", "state-database", …) and, once started, whenever a chat channel is
 * unhealthy past its connect grace — a revoked bot token, an unreachable API — for as long as that
 * lasts. The gateway serves either way in the second case, and its Control UI is where the user
 * fixes the token: waiting for the channel would keep the container from ever being ready (the
 * Worker gives up on it and serves nothing). So 503 naming only configured channels counts as
 * ready, with the channels named; anything else failing does not.
 */
export function readiness(status: number, body: unknown, channels: readonly string[]): Readiness {
  if (status >= 200 && status < 300) return { ready: true, failingChannels: [] };
  const failing = (body as { failing?: unknown } | null)?.failing;
  if (status !== 503 || !Array.isArray(failing) || failing.length === 0) return { ready: false, failingChannels: [] };
  const onlyChannels = failing.every((entry) => typeof entry === "string" && channels.includes(entry));
  return onlyChannels ? { ready: true, failingChannels: failing as string[] } : { ready: false, failingChannels: [] };
}

export class GatewayProcess {
  readonly #options: GatewayOptions;
  #child: ChildProcess | null = null;
  #exit: Promise<GatewayExit> | null = null;
  #stopping = false;
  ready = false;
  startedAt: number | null = null;
  readyAt: number | null = null;
  /** Channels OpenClaw reported failing when the supervisor took it as ready (see readiness()). */
  failingChannels: string[] = [];

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
  start(): Promise<GatewayExit> {
    const { bin, port, bind, env, log, user } = this.#options;
    // detached: a new session and process group led by the gateway (see stop()).
    const child = spawn(bin, gatewayArgs(port, bind), { env: env(), stdio: ["ignore", "pipe", "pipe"], detached: true, ...spawnIdentity(user) });
    this.#child = child;
    this.startedAt = Date.now();
    for (const [stream, level] of [
      [child.stdout!, "info"],
      [child.stderr!, "warn"],
    ] as const) {
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
    log.info("gateway", "gateway started", {
      pid: child.pid,
      bin,
      args: gatewayArgs(port, bind),
      user: user?.name ?? null,
      uid: user?.uid ?? process.getuid?.() ?? null,
    });
    return this.#exit;
  }

  /** Polls /readyz until it answers ready (see readiness()); resolves false if the process ends first. */
  async waitReady(): Promise<boolean> {
    const { port, log } = this.#options;
    let exited = false;
    void this.#exit?.then(() => (exited = true));
    let lastNotice = Date.now();
    while (!exited) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
        const body: unknown = await response.json().catch(() => null);
        const answer = readiness(response.status, body, this.#options.channels());
        if (answer.ready) {
          this.ready = true;
          this.readyAt = Date.now();
          this.failingChannels = answer.failingChannels;
          if (answer.failingChannels.length)
            log.warn(
              "gateway",
              `the gateway is up, but OpenClaw reports the channel(s) ${answer.failingChannels.join(", ")} failing (its log line above says why, e.g. a revoked bot token); serving anyway, so the Control UI can fix it`,
              { failingChannels: answer.failingChannels },
            );
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

  /**
   * SIGTERM to the gateway's whole process group, SIGKILL to the group after `timeoutMs`;
   * once the gateway is gone, whatever it started that is still running is killed (see
   * endLeftovers). Resolves with how the gateway ended.
   */
  async stop(timeoutMs: number): Promise<GatewayExit | null> {
    const child = this.#child;
    if (!child || !this.#exit) return null;
    this.#stopping = true;
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      signalGroup(child.pid, "SIGTERM");
      const timer = setTimeout(() => {
        this.#options.log.warn("shutdown", `gateway did not exit within ${timeoutMs} ms of SIGTERM; sending SIGKILL`);
        signalGroup(child.pid!, "SIGKILL");
      }, timeoutMs);
      try {
        await this.#exit;
      } finally {
        clearTimeout(timer);
      }
    }
    await this.endLeftovers();
    return this.#exit;
  }

  /**
   * Kills what the gateway left running (its process group, and every process of the gateway
   * user when it has one of its own), so nothing writes while the final backup reads.
   */
  async endLeftovers(): Promise<void> {
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    const uid = this.#options.user?.uid ?? null;
    const { killed, alive } = await killRemaining(pid, uid);
    if (alive.length)
      this.#options.log.error("shutdown", "processes the gateway started are still running after SIGKILL; the final backup may miss their last writes", {
        pids: alive,
      });
    else if (killed.length) this.#options.log.info("shutdown", "killed what the gateway left running", { pids: killed });
  }
}

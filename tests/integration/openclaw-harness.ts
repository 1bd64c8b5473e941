/**
 * One harness for the OpenClaw integration tests: the emulators on 127.0.0.1, the real
 * OpenClaw image under Cloudflare's run profile on the host's network (so the container
 * reaches the emulators at http://127.0.0.1:<port> and the tests reach the gateway on
 * 127.0.0.1:18789 and the supervisor on 127.0.0.1:18790), its JSON log, its control API,
 * and stopping it with SIGTERM or SIGKILL while keeping the exit code.
 *
 * The ports are fixed, so only one such container runs at a time (the integration project
 * runs files sequentially; every file stops its containers in afterAll).
 */
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import Docker from "dockerode";
import { GenericContainer, type StartedTestContainer } from "testcontainers";
import { ensureImages } from "../../container/build/index.ts";
import type { BackupResult } from "../../container/supervisor/backup.ts";
import { moltlabLabels } from "../../core/labels.ts";
import { StepRunner } from "../../core/ui.ts";
import { DEFAULT_ACCOUNT, DEFAULT_GATEWAY, startAiGateway, type StartedAiGateway } from "../../emulators/ai-gateway/index.ts";
import { limitsFor, type InstanceType } from "../../contract/instance-types.ts";
import { startR2, type StartedR2 } from "../../emulators/r2/index.ts";
import { PollAborted, waitFor } from "../shared/wait.ts";
import { OPENCLAW_VERSION, openclawImage } from "../../contract/openclaw.ts";
import type { Arch } from "../../contract/arch.ts";
import { CONTROL_PORT, GATEWAY_PORT } from "../../contract/ports.ts";
import { CONTROL_PATHS } from "../../contract/control-api.ts";
import type { BootTimings } from "../../verify/evidence-files.ts";

export const GATEWAY_URL = `http://127.0.0.1:${GATEWAY_PORT}`;
export const CONTROL_URL = `http://127.0.0.1:${CONTROL_PORT}`;
/** What the supervisor's CF_AI_GATEWAY_MODEL names; OpenClaw sends the bare id upstream. */
export const MODEL = "anthropic/claude-sonnet-4-5";
/** moltworker's instance type: 1/2 vCPU, 4 GiB. */
export const INSTANCE_TYPE: InstanceType = "standard-1";

const docker = new Docker();

/** The image for `arch`, built by `moltlab image` if missing or stale (a no-op when current). */
export async function ensureOpenclawImage(arch: Arch): Promise<string> {
  await ensureImages({ arches: [arch], openclawVersion: OPENCLAW_VERSION }, new StepRunner((line) => console.log(line)));
  return openclawImage(OPENCLAW_VERSION, arch);
}

/**
 * GenericContainer with Cloudflare's run profile applied to its HostConfig: the instance
 * type's memory and CPU (from contract/instance-types.ts, not repeated here), no swap, moltlab's
 * PID limit, not privileged, no added capabilities, no devices (so no /dev/fuse).
 * `privileged` is for the Docker-in-Docker comparison only.
 */
export class ProfiledContainer extends GenericContainer {
  withRunProfile(instanceType: InstanceType, options: { privileged?: boolean } = {}): this {
    const limits = limitsFor(instanceType, cpus().length);
    Object.assign(this.hostConfig, {
      NanoCpus: limits.nanoCpus,
      Memory: limits.memoryBytes,
      MemorySwap: limits.memorySwapBytes,
      PidsLimit: limits.pidsLimit,
      Privileged: options.privileged === true,
      CapAdd: [],
      Devices: [],
    });
    return this;
  }
}

/** The supervisor's JSON log lines (gateway output arrives as phase "gateway"). */
export type LogLine = { time?: string; level?: string; phase?: string; msg: string; [key: string]: unknown };

export interface Health {
  status: "starting" | "running" | "stopping";
  gateway: { ready: boolean; pid: number | null; startedAt: string | null; readyAt: string | null };
  phases: Record<string, { startedAt: string; durationMs?: number; ok?: boolean }>;
  lastRestore: { source: string; id?: string; skipped: { id: string; problem: string }[]; files: number; ok: boolean; error?: string } | null;
  lastBackup: BackupResult | null;
}

/** The emulators every OpenClaw container here talks to, on loopback. */
export interface Emulators {
  aiGateway: StartedAiGateway;
  r2: StartedR2;
  stop(): Promise<void>;
}

export async function startEmulators(): Promise<Emulators> {
  const [aiGateway, r2] = await Promise.all([startAiGateway({ host: "127.0.0.1" }), startR2({ host: "127.0.0.1" })]);
  return { aiGateway, r2, stop: async () => void (await Promise.all([aiGateway.stop(), r2.stop()])) };
}

/** A fresh gateway token per run: fake, but never printed and never on a command line. */
export function newGatewayToken(): string {
  return randomBytes(24).toString("hex");
}

/** The container's environment: the AI Gateway emulator as CF_AI_GATEWAY_*, the R2 stand-in as R2_*. */
export function openclawEnv(emulators: Emulators, token: string, extra: Record<string, string> = {}): Record<string, string> {
  const { aiGateway, r2 } = emulators;
  return {
    OPENCLAW_GATEWAY_TOKEN: token,
    CF_AI_GATEWAY_ACCOUNT_ID: DEFAULT_ACCOUNT,
    CF_AI_GATEWAY_GATEWAY_ID: DEFAULT_GATEWAY,
    CF_AI_GATEWAY_MODEL: MODEL,
    CLOUDFLARE_AI_GATEWAY_API_KEY: `sk-ant-moltlab-fake-${token.slice(0, 8)}`,
    CF_AI_GATEWAY_BASE_URL: aiGateway.url,
    R2_ACCESS_KEY_ID: r2.accessKeyId,
    R2_SECRET_ACCESS_KEY: r2.secretAccessKey,
    R2_ENDPOINT: r2.endpoint,
    R2_BUCKET_NAME: r2.bucket,
    ...extra,
  };
}

export interface StartOptions {
  arch: Arch;
  env: Record<string, string>;
  instanceType?: InstanceType;
  /** Instead of tini → supervisor (e.g. `tini -- sleep infinity` to run tools only). */
  entrypoint?: string[];
}

/** A running OpenClaw container: its log, its control API, exec as node, and how it ends. */
export class OpenclawContainer {
  readonly logs: LogLine[] = [];
  /** When the container was created (after the image check): boot times count from here. */
  startedAt = 0;
  readonly arch: Arch;
  #container: StartedTestContainer | null = null;
  #token: string;
  #exitCode: number | null = null;

  constructor(arch: Arch, token: string) {
    this.arch = arch;
    this.#token = token;
  }

  static async start(options: StartOptions): Promise<OpenclawContainer> {
    const token = options.env.OPENCLAW_GATEWAY_TOKEN ?? "";
    if (!token && !options.entrypoint) throw new Error("the supervisor needs OPENCLAW_GATEWAY_TOKEN in env");
    const instance = new OpenclawContainer(options.arch, token);
    const image = await ensureOpenclawImage(options.arch);
    instance.startedAt = Date.now();
    const container = new ProfiledContainer(image).withRunProfile(options.instanceType ?? INSTANCE_TYPE);
    if (options.entrypoint) container.withEntrypoint(options.entrypoint);
    instance.#container = await container
      .withPlatform(`linux/${options.arch}`)
      .withNetworkMode("host")
      // Through the API body: not on any command line.
      .withEnvironment(options.env)
      .withLabels(moltlabLabels("test"))
      .withLogConsumer((stream) => instance.#collect(stream))
      .start();
    return instance;
  }

  #collect(stream: Readable): void {
    const lines = createInterface({ input: stream });
    lines.on("line", (line) => {
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        this.logs.push({ msg: line });
      }
    });
  }

  get id(): string {
    if (!this.#container) throw new Error("not started");
    return this.#container.getId();
  }

  /** Log lines whose message matches, in order. */
  logged(pattern: RegExp): LogLine[] {
    return this.logs.filter((line) => pattern.test(line.msg));
  }

  /** The control API, with the gateway token as bearer. */
  async control(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${CONTROL_URL}${path}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${this.#token}` },
      signal: AbortSignal.timeout(120_000),
    });
  }

  async health(): Promise<Health> {
    const response = await this.control(CONTROL_PATHS.health);
    if (!response.ok) throw new Error(`GET /health answered ${response.status}`);
    return (await response.json()) as Health;
  }

  /** Fails early (with the last log lines) when the container exited. */
  async #checkAlive(): Promise<void> {
    const state = (await docker.getContainer(this.id).inspect()).State;
    if (!state.Running) throw new PollAborted(`the container exited with code ${state.ExitCode}; last log lines:\n${this.tail()}`);
  }

  tail(lines = 30): string {
    return this.logs
      .slice(-lines)
      .map((line) => `${line.phase ?? ""} ${line.msg}`)
      .join("\n");
  }

  /** Until the supervisor's /health says the restore and config phases are done (the backup loop runs). */
  async waitRestored(timeoutMs = 300_000): Promise<Health> {
    return this.#waitHealth("restore and config done (/health phases.config.ok)", (health) => health.phases.config?.ok === true, timeoutMs);
  }

  /** Until /health says the gateway is ready; returns that health (with the phase durations). */
  async waitReady(timeoutMs = 420_000): Promise<Health> {
    return this.#waitHealth(
      "the gateway ready (/health gateway.ready)",
      (health) => health.gateway.ready && health.phases.gateway?.ok === true,
      timeoutMs,
      1000,
    );
  }

  /** Polls /health until `done` holds, and returns that health; ends at once when the container exited. */
  #waitHealth(what: string, done: (health: Health) => boolean, timeoutMs: number, everyMs?: number): Promise<Health> {
    return waitFor(
      what,
      async () => {
        await this.#checkAlive();
        const health = await this.health();
        return done(health) ? health : undefined;
      },
      timeoutMs,
      everyMs,
    );
  }

  /** POST /backup: a backup covering every write made before the call. */
  async backup(): Promise<BackupResult> {
    const response = await this.control(CONTROL_PATHS.backup, { method: "POST" });
    const result = (await response.json()) as BackupResult;
    if (response.status !== 200 || !result.ok) throw new Error(`POST /backup answered ${response.status}: ${JSON.stringify(result)}`);
    return result;
  }

  /** A command as user node, with extra env (secrets go here, never into argv). */
  async exec(command: string[], env: Record<string, string> = {}): Promise<{ exitCode: number; output: string; stdout: string; stderr: string }> {
    if (!this.#container) throw new Error("not started");
    const result = await this.#container.exec(command, { user: "node", env });
    return { exitCode: result.exitCode, output: result.output, stdout: result.stdout, stderr: result.stderr };
  }

  /** Paths the container added or changed since it started (`docker diff`), deletions left out. */
  async changedPaths(): Promise<string[]> {
    const changes = ((await docker.getContainer(this.id).changes()) ?? []) as { Path: string; Kind: number }[];
    return changes.filter((change) => change.Kind !== 2).map((change) => change.Path);
  }

  /** Writes a file into the container (readable by everyone): for inputs too long for an environment. */
  async writeFile(path: string, content: string): Promise<void> {
    if (!this.#container) throw new Error("not started");
    await this.#container.copyContentToContainer([{ content, target: path, mode: 0o644 }]);
  }

  /** A shell script as user node, with extra env (secrets go here, never into the script). */
  async sh(script: string, env: Record<string, string> = {}): Promise<{ exitCode: number; output: string; stdout: string; stderr: string }> {
    return this.exec(["sh", "-c", script], env);
  }

  /** Like sh, but fails with the output unless the script exits 0. */
  async shOk(script: string, env: Record<string, string> = {}): Promise<string> {
    const result = await this.sh(script, env);
    if (result.exitCode !== 0) throw new Error(`exit ${result.exitCode} from:\n${script}\n--- output ---\n${result.output}`);
    return result.stdout;
  }

  /** SIGTERM, SIGKILL after `graceMs`; returns the exit code and removes the container. */
  async stop(graceMs = 90_000): Promise<number> {
    return this.#end(async (container) => void (await container.stop({ t: Math.ceil(graceMs / 1000) })));
  }

  /** SIGKILL at once: no final backup. */
  async kill(): Promise<number> {
    return this.#end(async (container) => void (await container.kill({ signal: "SIGKILL" })));
  }

  async #end(how: (container: Docker.Container) => Promise<void>): Promise<number> {
    if (this.#exitCode !== null) return this.#exitCode;
    const container = docker.getContainer(this.id);
    try {
      await how(container);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 304 && (error as { statusCode?: number }).statusCode !== 409) throw error;
    }
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    this.#exitCode = StatusCode;
    await container.remove({ force: true });
    return StatusCode;
  }

  /** The CPU time the container has used so far, in seconds (its cgroup, through Docker's stats API). */
  async cpuSeconds(): Promise<number> {
    const stats = await docker.getContainer(this.id).stats({ stream: false, "one-shot": true });
    return stats.cpu_stats.cpu_usage.total_usage / 1e9;
  }

  /** For afterAll: ends the container however it is, ignoring a container already gone. */
  async dispose(): Promise<void> {
    if (!this.#container || this.#exitCode !== null) return;
    await docker
      .getContainer(this.id)
      .remove({ force: true })
      .catch(() => undefined);
    this.#exitCode = -1;
  }
}

/** The boot-phase durations from /health, for printing. */
export function bootTimings(health: Health, startedAt: number): BootTimings {
  const readyAt = health.gateway.readyAt ? Date.parse(health.gateway.readyAt) : null;
  return {
    restoreMs: health.phases.restore?.durationMs ?? null,
    configMs: health.phases.config?.durationMs ?? null,
    gatewayMs: health.phases.gateway?.durationMs ?? null,
    containerStartToReadyMs: readyAt ? readyAt - startedAt : null,
  };
}

/** POST /v1/chat/completions on the gateway as model `openclaw`; `user` keeps one session. */
export async function chatCompletion(token: string, text: string, user: string): Promise<{ status: number; body: string; reply: string | null }> {
  const response = await fetch(`${GATEWAY_URL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ model: "openclaw", user, messages: [{ role: "user", content: text }] }),
    signal: AbortSignal.timeout(240_000),
  });
  const body = await response.text();
  let reply: string | null = null;
  try {
    reply = (JSON.parse(body) as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content ?? null;
  } catch {
    reply = null;
  }
  return { status: response.status, body, reply };
}

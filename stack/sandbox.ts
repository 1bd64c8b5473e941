/**
 * The local sandbox, as `moltlab dev` runs it and as the end-to-end test drives it: the
 * AI Gateway and Access emulators, the local Containers platform, the OpenClaw image, and
 * the Worker under `wrangler dev --env local`, whose own R2 simulator serves the bucket both
 * to the Worker's binding and, over S3, to the container.
 *
 * Networking: on Linux the container uses the host's network (`host`): everything, the
 * Worker → container hop included, stays on 127.0.0.1, and the gateway binds loopback only.
 * Docker Desktop (macOS, Windows) cannot do that; there the container is on the bridge
 * (`bridge`) and reaches the emulators and R2 at host.docker.internal.
 */
import { readFileSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureImages } from "../container/build/index.ts";
import { startAccess, type StartedAccess } from "../emulators/access/index.ts";
import { DEFAULT_ACCOUNT, DEFAULT_GATEWAY, startAiGateway, type Scenario, type StartedAiGateway } from "../emulators/ai-gateway/index.ts";
import type { StartedContainersPlatform } from "../platform/index.ts";
import type { NetworkMode } from "../platform/client/types.ts";
import { MINIFLARE_S3_PREFIX } from "../emulators/r2/index.ts";
import { UserError } from "../core/errors.ts";
import { randomSecret as secret } from "../core/secret.ts";
import { bucketOf, devServerVars, devVars, ENVIRONMENT, instanceTypeOf, readWorkerConfig, sandboxWranglerConfig } from "./sandbox-config.ts";
import { StepRunner } from "../core/ui.ts";
import { freePort, startWranglerDev, type WranglerDev } from "../core/wrangler-dev.ts";
import { OPENCLAW_VERSION, openclawImage } from "../contract/openclaw.ts";
import type { Arch } from "../contract/arch.ts";
import { STOP_TIMEOUT_MS } from "../contract/lifecycle.ts";
import type { InstanceType } from "../contract/instance-types.ts";

export const LOOPBACK = "127.0.0.1";
/** What the container is asked to use when the emulator serves the model (OpenClaw sends the bare id upstream). */
export const EMULATED_MODEL = "anthropic/claude-sonnet-4-5";
export const SANDBOX_TEMP_PREFIX = "moltlab-dev-";

export function defaultNetwork(platform: NodeJS.Platform = process.platform): NetworkMode {
  return platform === "linux" ? "host" : "bridge";
}

/** How the container reaches a service on the host's loopback. */
export function containerView(url: string, network: NetworkMode): string {
  if (network === "host") return url;
  const view = new URL(url);
  view.hostname = "host.docker.internal";
  return view.href.replace(/\/$/, "");
}

/**
 * The model provider. By default the AI Gateway emulator; with the caller's own
 * CLOUDFLARE_AI_GATEWAY_API_KEY + CF_AI_GATEWAY_ACCOUNT_ID + CF_AI_GATEWAY_GATEWAY_ID the real
 * AI Gateway, or with ANTHROPIC_API_KEY Anthropic directly (the container then needs the internet).
 */
export type Provider =
  | { kind: "emulator" }
  | { kind: "ai-gateway"; vars: Record<string, string>; secrets: Record<string, string> }
  | { kind: "anthropic"; secrets: Record<string, string> };

export function providerFromEnv(env: NodeJS.ProcessEnv = process.env): Provider {
  const gatewayNames = ["CLOUDFLARE_AI_GATEWAY_API_KEY", "CF_AI_GATEWAY_ACCOUNT_ID", "CF_AI_GATEWAY_GATEWAY_ID"] as const;
  const given = gatewayNames.filter((name) => env[name]);
  if (given.length === gatewayNames.length) {
    return {
      kind: "ai-gateway",
      vars: { CF_AI_GATEWAY_ACCOUNT_ID: env.CF_AI_GATEWAY_ACCOUNT_ID!, CF_AI_GATEWAY_GATEWAY_ID: env.CF_AI_GATEWAY_GATEWAY_ID!, CF_AI_GATEWAY_MODEL: env.CF_AI_GATEWAY_MODEL || EMULATED_MODEL },
      secrets: { CLOUDFLARE_AI_GATEWAY_API_KEY: env.CLOUDFLARE_AI_GATEWAY_API_KEY! },
    };
  }
  if (given.length) {
    throw new UserError(`only ${given.join(", ")} of the AI Gateway settings are set`, `set all of ${gatewayNames.join(", ")} (and optionally CF_AI_GATEWAY_MODEL) to use your AI Gateway, or none to use the emulator`);
  }
  if (env.ANTHROPIC_API_KEY) return { kind: "anthropic", secrets: { ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY } };
  return { kind: "emulator" };
}

export interface SandboxOptions {
  /** Default amd64, like Cloudflare. */
  arch?: Arch;
  /** Default: host on Linux, bridge elsewhere. */
  network?: NetworkMode;
  /** The CPU and memory the platform gives OpenClaw; default worker/wrangler.jsonc's instance_type. */
  instanceType?: InstanceType;
  /** The Worker's port; 0 = a free one. */
  port?: number;
  /** wrangler's state (R2 bucket, Durable Object storage): kept across runs unless it is a temp dir. */
  persistTo: string;
  provider?: Provider;
  /** Scenarios for the AI Gateway emulator. */
  scenarios?: Scenario[];
  /** Emails on the Access login page; the first is the default identity. */
  identities?: string[];
  /**
   * DEV_MODE=true for the Worker: Cloudflare Access is skipped (every request marked
   * `X-Moltlab-Dev-Mode`), which the Worker allows only because this wrangler dev listens on
   * 127.0.0.1; OpenClaw also gets its insecure control-UI auth, as with moltworker's DEV_MODE.
   */
  devMode?: boolean;
  steps?: StepRunner;
  /** wrangler's output once it is ready (the Worker's logs), secrets masked. */
  onWorkerLine?: (line: string) => void;
  /** Checked between steps: a Ctrl-C during startup stops what was started so far. */
  signal?: AbortSignal;
}

export interface StartedSandbox {
  /** The Worker: http://127.0.0.1:PORT. */
  readonly url: string;
  readonly access: StartedAccess;
  /** null when a real provider serves the model. */
  readonly aiGateway: StartedAiGateway | null;
  readonly platform: StartedContainersPlatform;
  readonly wrangler: WranglerDev;
  readonly image: string;
  readonly network: NetworkMode;
  readonly instanceType: InstanceType;
  readonly bucket: string;
  /** The temp dir with the generated wrangler.json and .dev.vars. */
  readonly configDir: string;
  /** Every secret of this run (not enumerable): for leak checks and masking. */
  readonly secrets: readonly string[];
  /** MOLTBOT_GATEWAY_TOKEN (not enumerable). */
  readonly gatewayToken: string;
  /** Stops everything; each part's outcome is a step. Idempotent. */
  stop(steps?: StepRunner): Promise<void>;
}

/**
 * What a run leaves behind if it is SIGKILLed (no exit handler runs then): wrangler's process
 * group, still holding the port, and the temp dir with the run's secrets. Recorded beside the
 * state dir, and reaped by the next run on the same state. Containers need no record: the
 * platform removes a dead platform's containers when it starts.
 */
interface Session {
  wranglerGroup: number;
  configDir: string;
}

function sessionFile(persistTo: string): string {
  return `${persistTo.replace(/\/+$/, "")}.session.json`;
}

/** Ends a previous run's wrangler group (only if it still is wrangler) and removes its temp dir; says what it did. */
export async function reapSession(persistTo: string): Promise<string[]> {
  const file = sessionFile(persistTo);
  let session: Session;
  try {
    session = JSON.parse(await readFile(file, "utf8")) as Session;
  } catch {
    return [];
  }
  const done: string[] = [];
  const cmdline = (() => {
    try {
      return readFileSync(`/proc/${session.wranglerGroup}/cmdline`, "utf8");
    } catch {
      return "";
    }
  })();
  if (cmdline.includes("wrangler")) {
    try {
      process.kill(-session.wranglerGroup, "SIGKILL");
      done.push(`killed a previous run's wrangler (process group ${session.wranglerGroup})`);
    } catch {
      // Gone meanwhile.
    }
  }
  if (session.configDir.includes(SANDBOX_TEMP_PREFIX)) {
    await rm(session.configDir, { recursive: true, force: true });
  }
  await rm(file, { force: true });
  return done;
}

export async function startSandbox(options: SandboxOptions): Promise<StartedSandbox> {
  const steps = options.steps ?? new StepRunner();
  const arch = options.arch ?? "amd64";
  const network = options.network ?? defaultNetwork();
  const provider = options.provider ?? { kind: "emulator" };
  const cleanups: { label: string; run: () => Promise<string> }[] = [];
  const checkAborted = () => {
    if (options.signal?.aborted) throw new UserError("interrupted while starting", "nothing to do: what had started was stopped");
  };
  const stopAll = async (runner: StepRunner) => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      await runner.step(cleanup.label, async () => ({ status: "done", detail: await cleanup.run() })).catch((error: unknown) => failures.push(error));
    }
    if (failures.length) throw failures[0];
  };

  // Per run: never written anywhere but the 0600 files below (and the container's environment).
  const gatewayToken = secret(24);
  const platformToken = secret(24);
  const r2 = { accessKeyId: secret(16), secretAccessKey: secret(32) };
  const workerConfig = readWorkerConfig();
  const bucket = bucketOf(workerConfig);
  const instanceType = options.instanceType ?? instanceTypeOf(workerConfig);

  try {
    for (const line of await reapSession(options.persistTo)) console.log(`  ${line}`);
    const [image] = await ensureImages({ arches: [arch], openclawVersion: OPENCLAW_VERSION }, steps);
    const tag = image?.tag ?? openclawImage(OPENCLAW_VERSION, arch);
    checkAborted();

    let aiGateway: StartedAiGateway | null = null;
    const aiGatewayKey = `sk-moltlab-${secret(16)}`;
    if (provider.kind === "emulator") {
      await steps.step("AI Gateway emulator", async () => {
        aiGateway = await startAiGateway({ host: LOOPBACK, scenarios: options.scenarios ?? [] });
        const started = aiGateway;
        cleanups.push({ label: "stop the AI Gateway emulator", run: async () => (await started.stop(), started.url) });
        return { status: "done", detail: started.baseUrl("anthropic") };
      });
    }
    checkAborted();

    let access!: StartedAccess;
    await steps.step("Access emulator", async () => {
      access = await startAccess({ host: LOOPBACK, ...(options.identities ? { identities: options.identities } : {}) });
      cleanups.push({ label: "stop the Access emulator", run: async () => (await access.stop(), access.url) });
      return { status: "done", detail: `team domain ${access.teamDomain}` };
    });
    checkAborted();

    let platform!: StartedContainersPlatform;
    await steps.step("Containers platform", async () => {
      // Loaded on demand: it brings dockerode.
      const { startContainersPlatform } = await import("../platform/index.ts");
      platform = await startContainersPlatform({ host: LOOPBACK, token: platformToken });
      cleanups.push({
        label: "remove the containers",
        run: async () => {
          const names = platform.containers.names();
          await platform.stop();
          return names.length ? `removed ${names.join(", ")}` : "none left";
        },
      });
      const removed = platform.leftovers.removed.map((item) => `removed leftover ${item.name}`);
      return { status: "done", detail: [`${platform.url}, network ${network}, instance type ${instanceType}`, ...removed].join("; ") };
    });
    checkAborted();

    const configDir = await mkdtemp(join(tmpdir(), SANDBOX_TEMP_PREFIX));
    // A crash (or a second Ctrl-C) skips stop(): the config with its secrets must go anyway.
    const removeConfig = () => rmSync(configDir, { recursive: true, force: true });
    process.on("exit", removeConfig);
    cleanups.push({
      label: "remove temp files",
      run: async () => {
        process.off("exit", removeConfig);
        await rm(configDir, { recursive: true, force: true });
        return configDir;
      },
    });

    let wrangler!: WranglerDev;
    let url = "";
    const secrets: Record<string, string> = {
      MOLTBOT_GATEWAY_TOKEN: gatewayToken,
      MOLTLAB_PLATFORM_TOKEN: platformToken,
      CF_ACCESS_AUD: access.audience,
      R2_ACCESS_KEY_ID: r2.accessKeyId,
      R2_SECRET_ACCESS_KEY: r2.secretAccessKey,
      ...(provider.kind === "emulator" ? { CLOUDFLARE_AI_GATEWAY_API_KEY: aiGatewayKey } : provider.secrets),
    };
    await steps.step("wrangler dev", async () => {
      // One address for `--ip` and for the loopback marker: the Worker's dev-mode bypass
      // trusts the marker because of where wrangler listens.
      const listenOn = LOOPBACK;
      const port = options.port || (await freePort(listenOn));
      const workerUrl = `http://${listenOn}:${port}`;
      const emulated = aiGateway as StartedAiGateway | null;
      const vars: Record<string, string> = {
        ...devServerVars(listenOn),
        ...(options.devMode ? { DEV_MODE: "true" } : {}),
        CF_ACCESS_TEAM_DOMAIN: access.teamDomain,
        MOLTLAB_CONTAINERS_URL: platform.url,
        MOLTLAB_CONTAINER_IMAGE: tag,
        MOLTLAB_CONTAINER_PLATFORM: `linux/${arch}`,
        MOLTLAB_CONTAINERS_NETWORK: network,
        MOLTLAB_INSTANCE_TYPE: instanceType,
        // The container's S3 endpoint is this very wrangler dev: its R2 simulator, the binding's bucket.
        R2_ENDPOINT: containerView(workerUrl, network) + MINIFLARE_S3_PREFIX,
        R2_BUCKET_NAME: bucket,
        ...(emulated
          ? { CF_AI_GATEWAY_ACCOUNT_ID: DEFAULT_ACCOUNT, CF_AI_GATEWAY_GATEWAY_ID: DEFAULT_GATEWAY, CF_AI_GATEWAY_MODEL: EMULATED_MODEL, CF_AI_GATEWAY_BASE_URL: containerView(emulated.url, network) }
          : provider.kind === "ai-gateway" ? provider.vars : {}),
      };
      const configFile = join(configDir, "wrangler.json");
      await writeFile(configFile, JSON.stringify(sandboxWranglerConfig(workerConfig, vars, r2), null, 2), { mode: 0o600 });
      await writeFile(join(configDir, ".dev.vars"), devVars(secrets), { mode: 0o600 });
      await mkdir(options.persistTo, { recursive: true });
      try {
        wrangler = await startWranglerDev({
          config: configFile, cwd: configDir, host: listenOn, port, persistTo: options.persistTo, registry: join(configDir, "registry"),
          environment: ENVIRONMENT, secrets: Object.values(secrets), onAbandon: removeConfig,
          ...(options.onWorkerLine ? { onLine: options.onWorkerLine } : {}),
        });
      } catch (error) {
        if (options.port && /address already in use/i.test(String(error))) {
          throw new UserError(`port ${options.port} is taken`, `stop what listens there (\`ss -ltnp 'sport = :${options.port}'\`), or pass \`--port N\` (0 picks a free one)`);
        }
        throw error;
      }
      url = workerUrl;
      await writeFile(sessionFile(options.persistTo), JSON.stringify({ wranglerGroup: wrangler.pid, configDir } satisfies Session), { mode: 0o600 });
      return { status: "done", detail: `${workerUrl} (state in ${options.persistTo})` };
    });
    // First in the stop order: the container's final backup goes to R2, which this wrangler
    // serves, so the container stops (gracefully) while wrangler still runs, then wrangler.
    cleanups.push({
      label: "stop wrangler dev",
      run: async () => {
        await wrangler.stop();
        await rm(sessionFile(options.persistTo), { force: true });
        return `process group ${wrangler.pid}`;
      },
    });
    cleanups.push({
      label: "stop OpenClaw (final backup)",
      run: async () => {
        const names = platform.containers.states().filter((state) => ["running", "starting"].includes(state.status)).map((state) => state.name);
        const results = await Promise.all(names.map((name) => platform.containers.stop(name, { signal: "SIGTERM", timeoutMs: STOP_TIMEOUT_MS })));
        return results.length
          ? results.map((result) => `${result.state.name}: ${result.killed ? "killed after the grace period" : `exited ${result.exitCode ?? "?"}`}`).join(", ")
          : "was not running";
      },
    });

    let stopping: Promise<void> | undefined;
    const sandbox = {
      url, access, aiGateway: aiGateway as StartedAiGateway | null, platform, wrangler, image: tag, network, instanceType, bucket, configDir,
      stop: (runner: StepRunner = steps) => (stopping ??= stopAll(runner)),
    };
    Object.defineProperty(sandbox, "secrets", { value: Object.values(secrets), enumerable: false });
    Object.defineProperty(sandbox, "gatewayToken", { value: gatewayToken, enumerable: false });
    return sandbox as StartedSandbox;
  } catch (error) {
    await stopAll(steps).catch(() => undefined);
    throw error;
  }
}

/**
 * The local sandbox, as `moltlab dev` runs it and as the end-to-end test drives it: the
 * AI Gateway and Access emulators, the local Containers platform, the OpenClaw image, and
 * the Worker under `wrangler dev --env local`, whose own R2 simulator serves the bucket both
 * to the Worker's binding and, over S3, to the container (r2.ts). How the container reaches
 * all this, on Linux and on Docker Desktop: network.ts.
 */
import type { WebService } from "../contract/web-services.ts";
import { type AccessOptions, startAccess, type StartedAccess } from "../emulators/access/index.ts";
import { startAiGateway, type RecordOptions, type ReplayOptions, type Scenario, type StartedAiGateway } from "../emulators/ai-gateway/index.ts";
import type { StartedContainersPlatform } from "../platform/index.ts";
import type { NetworkMode } from "../platform/client/types.ts";
import { UserError } from "../core/errors.ts";
import { randomSecret } from "../core/secret.ts";
import { StepRunner } from "../core/ui.ts";
import { freePort, type WranglerDev } from "../core/wrangler-dev.ts";
import type { Arch } from "../contract/arch.ts";
import type { InstanceType } from "../contract/instance-types.ts";
import { Cleanup } from "./cleanup.ts";
import { ensureOpenClawImage, ensureUserImage, type OpenClawImage } from "./image.ts";
import { bridgeGateway, openBridgeDoor } from "./bridge-door.ts";
import { containerView, defaultNetwork, LOOPBACK, needsBridgeDoor } from "./network.ts";
import { describeStopped, startPlatform, stopOpenClaw } from "./platform.ts";
import type { Provider } from "./provider.ts";
import { wranglerR2 } from "./r2.ts";
import { bucketOf, instanceTypeOf, readWorkerConfig, type R2Credentials, withBucket, type WranglerConfig } from "./sandbox-config.ts";
import { forgetSession, reapSession, recordSession, SANDBOX_TEMP_PREFIX } from "./session.ts";
import { startWorker, workerConfigDir, type WorkerConfigDir } from "./worker.ts";
import { anthropicDirectNotTaped, type DiscordWiring, localGatewayModel, type TelegramWiring, workerEnv } from "./worker-env.ts";

/** For the bench (tests/perf/floors.ts), which configures OpenClaw as this sandbox does. */
export { EMULATED_MODEL } from "./provider.ts";

export interface SandboxOptions {
  /** Default amd64, like Cloudflare. */
  arch?: Arch;
  /** Default: host on Linux, bridge elsewhere. */
  network?: NetworkMode;
  /** The CPU and memory the platform gives OpenClaw; default worker/wrangler.jsonc's instance_type. */
  instanceType?: InstanceType;
  /** The Worker's port; 0 = a free one. */
  port?: number;
  /**
   * Docker names of its containers are `<containerPrefix><name>` (default `moltlab-sandbox-`). The
   * Worker names its container the same way every run, so two sandboxes at once on one engine
   * (the tests on the bridge network) need a prefix each.
   */
  containerPrefix?: string;
  /** The user's own Dockerfile: their image with the supervisor layered on top runs instead of the bundled one. */
  dockerfile?: string;
  /** wrangler's state (R2 bucket, Durable Object storage): kept across runs unless it is a temp dir. */
  persistTo: string;
  provider?: Provider;
  /** Scenarios for the AI Gateway emulator. */
  scenarios?: Scenario[];
  /**
   * The AI Gateway answers from this cassette, offline and strict (a request it does not hold is
   * refused): the file, or the file with timing options. With the user's AI Gateway settings in
   * `provider`, the Worker keeps their account, gateway and model (what the cassette recorded).
   */
  cassette?: string | ReplayOptions;
  /**
   * The AI Gateway records: the Worker's model requests go to it, it forwards each to
   * `upstream` (default the real AI Gateway) and tapes it into `to`. With the user's AI Gateway
   * settings in `provider`, their account, gateway and key are what is forwarded.
   */
  record?: RecordOptions;
  /** Emails on the Access login page; the first is the default identity. */
  identities?: string[];
  /**
   * The AUD tag the Access emulator signs for and the Worker checks (CF_ACCESS_AUD), e.g. the one
   * a Terraform apply gave the Access application (cloudflare-deployment.ts). Default: random.
   */
  accessAudience?: string;
  /**
   * The R2 bucket the Worker's MOLTBOT_BUCKET binding, R2_BUCKET_NAME and OpenClaw's backups use,
   * e.g. the one a Terraform apply made. Default: worker/wrangler.jsonc's env.local binding.
   */
  bucket?: string;
  /**
   * DEV_MODE=true for the Worker: Cloudflare Access is skipped (every request marked
   * `X-Moltlab-Dev-Mode`), which the Worker allows only because this wrangler dev listens on
   * 127.0.0.1; an OpenClaw before 2026.8.1 also gets its insecure control-UI auth, as with
   * moltworker's DEV_MODE (later ones retired it).
   */
  devMode?: boolean;
  /**
   * OpenClaw's Telegram channel, e.g. against the Telegram emulator (`apiRoot`: its URL on this
   * machine; the container gets it as it reaches it on `network`).
   */
  telegram?: TelegramWiring;
  /**
   * OpenClaw's Discord channel, e.g. against the Discord emulator (`apiUrl`: its DISCORD_API_URL on
   * this machine; the container gets it as it reaches it on `network`, and on the bridge the
   * supervisor forwards it through the container's loopback, the only plain HTTP the plugin takes).
   */
  discord?: DiscordWiring;
  /** OPENCLAW_HOOKS_TOKEN: OpenClaw's inbound webhooks (`POST <url>/hooks/agent` with `Authorization: Bearer <token>`) on. */
  hooksToken?: string;
  /** The Worker's SANDBOX_SLEEP_AFTER (`never`, `30s`, `10m`…); default: the Worker's (never). */
  sleepAfter?: string;
  /** SANDBOX_WEB_SERVICES: your own web services in the container, each reached on its hostname through the Worker. */
  webServices?: readonly WebService[];
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
  /** null when a real provider serves the model (no cassette, no recording). */
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

/** What one start shares between its steps. */
interface Run {
  options: SandboxOptions;
  steps: StepRunner;
  /** What has started so far, to stop in reverse: on stop(), or when the start fails or is interrupted. */
  cleanup: Cleanup;
  arch: Arch;
  network: NetworkMode;
  provider: Provider;
  instanceType: InstanceType;
  workerConfig: WranglerConfig;
  bucket: string;
  /** Per run: never written anywhere but the 0600 files (and the container's environment). */
  secrets: { gatewayToken: string; platformToken: string; r2: R2Credentials };
}

export async function startSandbox(options: SandboxOptions): Promise<StartedSandbox> {
  const workerConfig = options.bucket ? withBucket(readWorkerConfig(), options.bucket) : readWorkerConfig();
  const run: Run = {
    options,
    steps: options.steps ?? new StepRunner(),
    cleanup: new Cleanup(),
    arch: options.arch ?? "amd64",
    network: options.network ?? defaultNetwork(),
    provider: options.provider ?? { kind: "emulator" },
    instanceType: options.instanceType ?? instanceTypeOf(workerConfig),
    workerConfig,
    bucket: bucketOf(workerConfig),
    secrets: { gatewayToken: randomSecret(24), platformToken: randomSecret(24), r2: { accessKeyId: randomSecret(16), secretAccessKey: randomSecret(32) } },
  };
  // Between steps: a Ctrl-C during startup stops what was started so far.
  const checkAborted = () => {
    if (options.signal?.aborted) throw new UserError("interrupted while starting", "nothing to do: what had started was stopped");
  };
  // Before anything starts: a cassette or a recording needs the AI Gateway's URLs.
  if ((options.cassette !== undefined || options.record) && run.provider.kind === "anthropic") throw anthropicDirectNotTaped();
  if (options.cassette !== undefined && options.record) {
    throw new UserError(
      "a sandbox replays a cassette or records one, not both",
      "drop --record-to or --cassette (to extend a cassette while replaying it: --record-on-miss)",
    );
  }
  try {
    for (const line of await reapSession(options.persistTo)) console.log(`  ${line}`);
    const image = options.dockerfile ? await ensureUserImage(options.dockerfile, run.arch, run.steps) : await ensureOpenClawImage(run.arch, run.steps);
    checkAborted();
    const localGateway = run.provider.kind === "emulator" || options.cassette !== undefined || options.record !== undefined;
    const aiGateway = localGateway ? await startAiGatewayEmulator(run) : null;
    checkAborted();
    const access = await startAccessEmulator(run);
    checkAborted();
    const platform = await startContainersPlatform(run);
    checkAborted();
    const worker = await startTheWorker(run, { image, aiGateway, access, platform });
    // First in the stop order: the container's final backup goes to R2, which this wrangler
    // serves, so the container stops (gracefully) while wrangler still runs, then wrangler.
    run.cleanup.add("stop OpenClaw (final backup)", async () => describeStopped(await stopOpenClaw(platform.containers)));

    let stopping: Promise<void> | undefined;
    const sandbox = {
      url: worker.url,
      access,
      aiGateway,
      platform,
      wrangler: worker.wrangler,
      image: image.tag,
      network: run.network,
      instanceType: run.instanceType,
      bucket: run.bucket,
      configDir: worker.dir.path,
      stop: (runner: StepRunner = run.steps) => (stopping ??= run.cleanup.run(runner)),
    };
    Object.defineProperty(sandbox, "secrets", { value: Object.values(worker.secrets), enumerable: false });
    Object.defineProperty(sandbox, "gatewayToken", { value: run.secrets.gatewayToken, enumerable: false });
    return sandbox as StartedSandbox;
  } catch (error) {
    await run.cleanup.run(run.steps).catch(() => undefined);
    throw error;
  }
}

/** One step that starts something and says where it is; what it started is returned. */
async function startStep<T>(steps: StepRunner, label: string, start: () => Promise<T>, detail: (started: T) => string): Promise<T> {
  let started!: T;
  await steps.step(label, async () => {
    started = await start();
    return { status: "done", detail: detail(started) };
  });
  return started;
}

/** What the sandbox's AI Gateway does: scripted replies, a cassette, or recording. */
function gatewayMode(options: SandboxOptions): string {
  if (options.cassette !== undefined) {
    const replay = typeof options.cassette === "string" ? { file: options.cassette } : options.cassette;
    return `replaying ${replay.file} (${replay.timing ?? "as-recorded"}${replay.timingScale ? ` ×${replay.timingScale}` : ""}, strict)`;
  }
  if (options.record) return `recording to ${options.record.to} from ${options.record.upstream ?? "https://gateway.ai.cloudflare.com"}`;
  return "scripted";
}

function startAiGatewayEmulator({ options, steps, cleanup }: Run): Promise<StartedAiGateway> {
  return startStep(
    steps,
    "AI Gateway emulator",
    async () => {
      const aiGateway = await startAiGateway({
        host: LOOPBACK,
        scenarios: options.scenarios ?? [],
        ...(options.cassette !== undefined ? { cassette: options.cassette } : {}),
        ...(options.record ? { record: options.record } : {}),
      });
      cleanup.add("stop the AI Gateway emulator", async () => {
        await aiGateway.stop();
        return aiGateway.url;
      });
      return aiGateway;
    },
    (aiGateway) => `${aiGateway.baseUrl("anthropic")}; ${gatewayMode(options)}`,
  );
}

/** The Access emulator's settings: on the loopback, signing for the given AUD (a Terraform apply's) when there is one. */
export function accessEmulatorOptions(options: Pick<SandboxOptions, "identities" | "accessAudience">): AccessOptions {
  return {
    host: LOOPBACK,
    ...(options.identities ? { identities: options.identities } : {}),
    ...(options.accessAudience ? { audience: options.accessAudience } : {}),
  };
}

function startAccessEmulator({ options, steps, cleanup }: Run): Promise<StartedAccess> {
  return startStep(
    steps,
    "Access emulator",
    async () => {
      const access = await startAccess(accessEmulatorOptions(options));
      cleanup.add("stop the Access emulator", async () => {
        await access.stop();
        return access.url;
      });
      return access;
    },
    (access) => `team domain ${access.teamDomain}`,
  );
}

function startContainersPlatform({ options, steps, cleanup, network, instanceType, secrets }: Run): Promise<StartedContainersPlatform> {
  return startStep(
    steps,
    "Containers platform",
    () => startPlatform({ host: LOOPBACK, token: secrets.platformToken, ...(options.containerPrefix ? { namePrefix: options.containerPrefix } : {}) }, cleanup),
    (platform) => {
      const removed = platform.leftovers.removed.map((item) => `removed leftover ${item.name}`);
      return [`${platform.url}, network ${network}, instance type ${instanceType}`, ...removed].join("; ");
    },
  );
}

interface StartedWorker {
  url: string;
  wrangler: WranglerDev;
  dir: WorkerConfigDir;
  secrets: Record<string, string>;
}

/** The port of a URL on this machine's loopback (a local emulator the container must reach), as a list of none or one. */
function loopbackPort(url: string | undefined): number[] {
  if (!url) return [];
  const parsed = new URL(url);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname)) return [];
  return [Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80))];
}

/** The Worker, wired to what has started: wrangler dev on 127.0.0.1, its state in options.persistTo. */
async function startTheWorker(
  run: Run,
  parts: { image: OpenClawImage; aiGateway: StartedAiGateway | null; access: StartedAccess; platform: StartedContainersPlatform },
): Promise<StartedWorker> {
  const { options, network, provider, cleanup } = run;
  const dir = await workerConfigDir({ temp: SANDBOX_TEMP_PREFIX }, cleanup);
  return startStep(
    run.steps,
    "wrangler dev",
    async () => {
      // One address for `--ip` and for the loopback marker: the Worker's dev-mode bypass
      // trusts the marker because of where wrangler listens.
      const listenOn = LOOPBACK;
      const port = options.port || (await freePort(listenOn));
      const url = `http://${listenOn}:${port}`;
      if (needsBridgeDoor(network)) {
        // The container reaches R2 through this wrangler and the model through the AI Gateway emulator.
        const ports = [
          port,
          ...(parts.aiGateway ? [parts.aiGateway.port] : []),
          ...loopbackPort(options.telegram?.apiRoot),
          ...loopbackPort(options.discord?.apiUrl),
        ];
        const door = await openBridgeDoor(ports, await bridgeGateway());
        cleanup.add("close the bridge door", async () => {
          await door.close();
          return door.addresses.join(", ");
        });
      }
      const r2 = wranglerR2(url, network, run.bucket, run.secrets.r2);
      const env = workerEnv({
        listenOn,
        devMode: options.devMode,
        ...(options.sleepAfter ? { sleepAfter: options.sleepAfter } : {}),
        ...(options.webServices ? { webServices: options.webServices } : {}),
        ...(options.hooksToken ? { hooksToken: options.hooksToken } : {}),
        network,
        instanceType: run.instanceType,
        image: parts.image,
        r2,
        access: { teamDomain: parts.access.teamDomain, audience: parts.access.audience },
        platform: { url: parts.platform.url, token: run.secrets.platformToken },
        model: parts.aiGateway
          ? localGatewayModel(provider, containerView(parts.aiGateway.url, network), randomSecret)
          : (provider as Exclude<Provider, { kind: "emulator" }>),
        gatewayToken: run.secrets.gatewayToken,
        workerUrl: url,
        ...(options.telegram
          ? { telegram: { ...options.telegram, ...(options.telegram.apiRoot ? { apiRoot: containerView(options.telegram.apiRoot, network) } : {}) } }
          : {}),
        ...(options.discord
          ? { discord: { ...options.discord, ...(options.discord.apiUrl ? { apiUrl: containerView(options.discord.apiUrl, network) } : {}) } }
          : {}),
      });
      let wrangler: WranglerDev;
      try {
        wrangler = await startWorker(
          {
            dir,
            config: run.workerConfig,
            env,
            binding: r2.binding,
            host: listenOn,
            port,
            persistTo: options.persistTo,
            afterStop: () => forgetSession(options.persistTo),
            ...(options.onWorkerLine ? { onLine: options.onWorkerLine } : {}),
          },
          cleanup,
        );
      } catch (error) {
        if (options.port && /address already in use/i.test(String(error))) {
          throw new UserError(
            `port ${options.port} is taken`,
            `stop what listens there (\`ss -ltnp 'sport = :${options.port}'\`), or pass \`--port N\` (0 picks a free one)`,
          );
        }
        throw error;
      }
      await recordSession(options.persistTo, { wranglerGroup: wrangler.pid, configDir: dir.path });
      return { url, wrangler, dir, secrets: env.secrets };
    },
    (worker) => `${worker.url} (state in ${options.persistTo})`,
  );
}

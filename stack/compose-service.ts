/**
 * `moltlab compose-service <access|r2|containers|worker>`: one service of docker-compose.yml
 * in the foreground, configured by its container's environment (compose-settings.ts), until
 * SIGTERM (`docker compose stop/down`) or SIGINT. The AI Gateway runs as `moltlab emulate
 * ai-gateway` as it is; these four need what `emulate` has no options for: fixed shared
 * credentials, a persistent bucket, a graceful stop of OpenClaw, and the Worker itself.
 *
 * The Worker is `npm run dev`'s: the same wrangler config (sandbox-config.ts) and the same
 * `wrangler dev --env local` child (wrangler-dev.ts), listening on 0.0.0.0 in its container.
 */
import { rmSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type Docker from "dockerode";
import { startAccess } from "../emulators/access/index.ts";
import { MINIFLARE_S3_PREFIX, startR2 } from "../emulators/r2/index.ts";
import { s3ClientConfig } from "../emulators/r2/clients.ts";
import {
  accessSettings, ANY_HOST, platformSettings, r2ServerSettings, SERVICE_PORTS, workerSettings, type PlatformSettings, type WorkerSettings,
} from "./compose-settings.ts";
import { UserError } from "../core/errors.ts";
import { randomSecret } from "../core/secret.ts";
import { devVars, ENVIRONMENT, instanceTypeOf, readWorkerConfig, sandboxWranglerConfig } from "./sandbox-config.ts";
import { startWranglerDev } from "../core/wrangler-dev.ts";
import { STOP_TIMEOUT_MS } from "../contract/lifecycle.ts";

/** The Worker's generated config (0700 dir, 0600 files): wrangler.json, .dev.vars, the gateway token. */
export const WORKER_CONFIG_DIR = "/tmp/moltlab-worker";
/** wrangler's state (the Sandbox Durable Object, the binding's bucket): the container's own, gone with it. */
const WORKER_STATE_DIR = "/tmp/moltlab-worker-state";
/** Where the offline R2 stand-in keeps the bucket: the compose file's named volume. */
const R2_DATA_DIR = "/data";

interface Running {
  /** What the service's log says once it is up. */
  lines: string[];
  /** Set when the service can end by itself (wrangler): that ends this process too. */
  exited?: Promise<string>;
  stop(): Promise<void>;
}

const SERVICES: Record<string, (env: NodeJS.ProcessEnv) => Promise<Running>> = {
  access: async (env) => {
    const settings = accessSettings(env);
    // Listening on the port the browser uses, so its URL (the issuer) is http://127.0.0.1:<port>
    // both for the browser, via the published port, and for the Worker, which shares this
    // service's network namespace.
    const access = await startAccess({ host: ANY_HOST, port: settings.port, audience: settings.audience });
    return {
      lines: [
        `listening on ${access.url} (Access)`,
        `  team domain: ${access.teamDomain}; identities on the login page: ${access.identities.join(", ")}`,
        `  log in with curl: curl -c cookies.txt -d email=${access.identities[0]} ${access.teamDomain}/cdn-cgi/access/login`,
      ],
      stop: () => access.stop(),
    };
  },

  r2: async (env) => {
    const settings = r2ServerSettings(env);
    const r2 = await startR2({ backend: "miniflare", host: ANY_HOST, port: SERVICE_PORTS.r2, ...settings, persistPath: R2_DATA_DIR });
    return {
      lines: [
        `listening on ${r2.url} (R2: Cloudflare's R2 simulator, offline)`,
        `  S3 API under ${MINIFLARE_S3_PREFIX} (port ${r2.port} here, the published port on the host) for the host names localhost, 127.0.0.1, ${settings.hostnames.join(", ")}`,
        `  bucket ${r2.bucket}, access key id ${r2.accessKeyId}; data in ${R2_DATA_DIR} (the r2-data volume)`,
      ],
      stop: () => r2.stop(),
    };
  },

  containers: async (env) => {
    const settings = platformSettings(env);
    // Loaded on demand: it brings dockerode.
    const { startContainersPlatform } = await import("../platform/index.ts");
    const platform = await startContainersPlatform({ host: ANY_HOST, port: SERVICE_PORTS.platform, token: settings.token, namePrefix: settings.namePrefix });
    try {
      await checkOpenClawImage(platform.containers.docker, settings.image);
    } catch (error) {
      await platform.stop();
      throw error;
    }
    // The sandbox's life in `docker compose logs containers`: starts, exits (with the code), removals.
    platform.containers.events.on("event", (event) => {
      if (!["running", "exited", "destroyed", "start-failed"].includes(event.type)) return;
      const detail = event.type === "exited" ? ` (code ${event.code ?? "?"}${event.signal ? `, ${event.signal}` : ""}${event.oomKilled ? ", OOM-killed" : ""})`
        : event.type === "start-failed" ? `: ${event.error?.message ?? ""}` : "";
      console.log(`${event.name}: ${event.type}${detail}`);
    });
    const { removed, kept } = platform.leftovers;
    const where = platform.containers.ownerContainer ? `in container ${platform.containers.ownerContainer.slice(0, 12)}` : "not in a container of this engine";
    return {
      lines: [
        `listening on ${platform.url} (Containers platform, ${where}); OpenClaw image ${settings.image.tag} is present`,
        ...removed.map((item) => `  removed leftover ${item.name} (${item.id.slice(0, 12)}): ${item.reason}`),
        ...kept.map((item) => `  kept ${item.name} (${item.id.slice(0, 12)}): ${item.reason}`),
      ],
      stop: async () => {
        // OpenClaw takes its final backup on SIGTERM (to R2, which compose stops after this
        // service), so it is stopped gracefully before the platform removes it.
        const { containers } = platform;
        const live = containers.states().filter((state) => ["running", "starting"].includes(state.status)).map((state) => state.name);
        for (const result of await Promise.all(live.map((name) => containers.stop(name, { signal: "SIGTERM", timeoutMs: STOP_TIMEOUT_MS })))) {
          console.log(`stopped ${result.state.name}: ${result.killed ? `killed after ${STOP_TIMEOUT_MS / 1000} s` : `exited ${result.exitCode ?? "?"}`}`);
        }
        // Removes them (each logged as "destroyed" above), then stops the API.
        await platform.stop();
      },
    };
  },

  worker: async (env) => {
    const settings = workerSettings(env);
    await ensureBucket(settings.r2);
    await rm(WORKER_CONFIG_DIR, { recursive: true, force: true });
    await mkdir(WORKER_CONFIG_DIR, { recursive: true, mode: 0o700 });
    const removeConfig = () => rmSync(WORKER_CONFIG_DIR, { recursive: true, force: true });
    try {
      // The binding's own bucket is wrangler's (unused by moltworker); OpenClaw's is the r2 service.
      const bindingCredentials = { accessKeyId: randomSecret(16), secretAccessKey: randomSecret(32) };
      const configFile = join(WORKER_CONFIG_DIR, "wrangler.json");
      const workerConfig = readWorkerConfig();
      // As in `npm run dev`: the platform applies wrangler.jsonc's instance type.
      const vars = { ...settings.vars, MOLTLAB_INSTANCE_TYPE: instanceTypeOf(workerConfig) };
      await writeFile(configFile, JSON.stringify(sandboxWranglerConfig(workerConfig, vars, bindingCredentials), null, 2), { mode: 0o600 });
      await writeFile(join(WORKER_CONFIG_DIR, ".dev.vars"), devVars(settings.secrets), { mode: 0o600 });
      await writeFile(join(WORKER_CONFIG_DIR, "gateway-token"), `${settings.gatewayToken}\n`, { mode: 0o600 });
      await mkdir(WORKER_STATE_DIR, { recursive: true });
      const wrangler = await startWranglerDev({
        config: configFile, cwd: WORKER_CONFIG_DIR, host: ANY_HOST, port: settings.port, persistTo: WORKER_STATE_DIR,
        registry: join(WORKER_CONFIG_DIR, "registry"), environment: ENVIRONMENT,
        secrets: [...Object.values(settings.secrets), bindingCredentials.secretAccessKey], onAbandon: removeConfig,
        // The healthcheck asks every few seconds: its successes would bury everything else.
        onLine: (line) => {
          if (!/GET \/sandbox-health 200\b/.test(line)) console.log(`[wrangler] ${line}`);
        },
      });
      return {
        lines: workerReadyLines(settings, env),
        exited: wrangler.exited.then(({ code, signal }) => `wrangler dev exited (${signal ?? `code ${code}`})`),
        stop: async () => {
          await wrangler.stop();
          removeConfig();
        },
      };
    } catch (error) {
      removeConfig();
      throw error;
    }
  },
};

function workerReadyLines(settings: WorkerSettings, env: NodeJS.ProcessEnv): string[] {
  const team = settings.vars.CF_ACCESS_TEAM_DOMAIN!;
  const model = settings.provider.kind === "emulator"
    ? `the AI Gateway emulator (fake replies; scenarios: POST http://127.0.0.1:${env.MOLTLAB_AI_GATEWAY_PORT ?? SERVICE_PORTS.aiGateway}/__moltlab/scenarios)`
    : settings.provider.kind === "anthropic" ? "Anthropic directly (ANTHROPIC_API_KEY from your environment)" : "your Cloudflare AI Gateway (CF_AI_GATEWAY_* from your environment)";
  return [
    `ready on ${settings.url}/ (OpenClaw starts on the first request: a minute or two)`,
    `  log in: open ${settings.url}/ in a browser (Access login page at ${team}), or with curl:`,
    `    curl -c cookies.txt -d email=you@example.com ${team}/cdn-cgi/access/login && curl -b cookies.txt ${settings.url}/api/status`,
    `  model: ${model}`,
    `  OpenClaw: ${settings.image.tag} on ${settings.network}`,
    `  gateway token (OpenClaw's HTTP API): docker compose exec worker cat ${WORKER_CONFIG_DIR}/gateway-token`,
  ];
}

/** The platform needs the image on the host's engine; a missing one fails `docker compose up` with the fix. */
async function checkOpenClawImage(docker: Docker, image: PlatformSettings["image"]): Promise<void> {
  let found: Docker.ImageInspectInfo;
  try {
    found = await docker.getImage(image.tag).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    throw new UserError(`the OpenClaw image ${image.tag} is not in the Docker engine`, `build it on the host with \`${image.buildCommand}\` (moltlab never pulls), then \`docker compose up\` again`);
  }
  if (found.Architecture !== image.arch) {
    throw new UserError(`the image ${image.tag} is linux/${found.Architecture}, not ${image.platform}`, `rebuild it on the host with \`${image.buildCommand}\``);
  }
}

/**
 * MinIO starts without buckets, while R2 (and the offline simulator) has the configured one:
 * create it when missing. HeadBucket first, because the simulator answers CreateBucket with 501.
 */
async function ensureBucket(r2: WorkerSettings["r2"]): Promise<void> {
  const { S3Client, HeadBucketCommand, CreateBucketCommand } = await import("@aws-sdk/client-s3");
  const backend = r2.endpoint.includes(MINIFLARE_S3_PREFIX) ? "miniflare" : "minio";
  const client = new S3Client(s3ClientConfig({ backend, ...r2 }));
  try {
    await client.send(new HeadBucketCommand({ Bucket: r2.bucket }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) {
      throw new UserError(`the R2 stand-in at ${r2.endpoint} did not answer for bucket ${r2.bucket} (${status ? `HTTP ${status}` : (error as Error).message})`,
        "check `docker compose logs r2`; the worker and r2 services must share R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY (MinIO: its root user)");
    }
    await client.send(new CreateBucketCommand({ Bucket: r2.bucket }));
  } finally {
    client.destroy();
  }
}

export async function composeService(args: readonly string[]): Promise<number> {
  const [name, ...rest] = args;
  const start = name ? SERVICES[name] : undefined;
  if (!start || rest.length) {
    throw new UserError(`compose-service needs one of ${Object.keys(SERVICES).join(", ")}${name ? `, not "${args.join(" ")}"` : ""}`,
      "it runs inside docker-compose.yml's containers: use `docker compose up` (see the README)");
  }
  // Installed first: a stop during startup is honoured as soon as the service is up. Kept
  // installed (not `once`): wrangler-dev.ts kills wrangler at once if its handler is alone.
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    process.on("SIGTERM", resolve);
    process.on("SIGINT", resolve);
  });
  const running = await start(process.env);
  for (const line of running.lines) console.log(line);
  const ended = await Promise.race([stopRequested.then(() => null), running.exited ?? new Promise<never>(() => undefined)]);
  await running.stop();
  if (ended) {
    console.error(`moltlab compose-service ${name}: ${ended}`);
    return 1;
  }
  // A requested stop is a success: compose reports it as exit code 0.
  return 0;
}

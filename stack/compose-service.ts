/**
 * `moltlab compose-service <access|r2|containers|worker>`: one service of docker-compose.yml
 * in the foreground, configured by its container's environment (compose-settings.ts), until
 * SIGTERM (`docker compose stop/down`) or SIGINT. The AI Gateway runs as `moltlab emulate
 * ai-gateway` as it is; these four need what `emulate` has no options for: fixed shared
 * credentials, a persistent bucket, a graceful stop of OpenClaw, and the Worker itself.
 *
 * The Worker is `npm run dev`'s: the same vars and secrets (worker-env.ts), the same wrangler
 * config (sandbox-config.ts) and the same `wrangler dev --env local` child (worker.ts),
 * listening on 0.0.0.0 in its container. What each service starts is undone by the same
 * cleanup stack as `npm run dev`'s (cleanup.ts).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startAccess } from "../emulators/access/index.ts";
import { MINIFLARE_S3_PREFIX, startR2 } from "../emulators/r2/index.ts";
import { UserError } from "../core/errors.ts";
import { randomSecret } from "../core/secret.ts";
import { Cleanup } from "./cleanup.ts";
import { accessSettings, platformSettings, r2ServerSettings, SERVICE_PORTS, workerSettings, type WorkerSettings } from "./compose-settings.ts";
import { checkOpenClawImage } from "./image.ts";
import { ANY_HOST } from "./network.ts";
import { describeStopped, startPlatform, stopOpenClaw } from "./platform.ts";
import { describeRealProvider } from "./provider.ts";
import { ensureBucket } from "./r2.ts";
import { instanceTypeOf, readWorkerConfig } from "./sandbox-config.ts";
import { startWorker, workerConfigDir } from "./worker.ts";

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
}

/** Starts a service, adding to `cleanup` what stops it. */
type Service = (env: NodeJS.ProcessEnv, cleanup: Cleanup) => Promise<Running>;

const SERVICES: Record<string, Service> = {
  access: async (env, cleanup) => {
    const settings = accessSettings(env);
    // Listening on the port the browser uses, so its URL (the issuer) is http://127.0.0.1:<port>
    // both for the browser, via the published port, and for the Worker, which shares this
    // service's network namespace.
    const access = await startAccess({ host: ANY_HOST, port: settings.port, audience: settings.audience });
    cleanup.add("stop the Access emulator", async () => {
      await access.stop();
      return access.url;
    });
    return {
      lines: [
        `listening on ${access.url} (Access)`,
        `  team domain: ${access.teamDomain}; identities on the login page: ${access.identities.join(", ")}`,
        `  log in with curl: curl -c cookies.txt -d email=${access.identities[0]} ${access.teamDomain}/cdn-cgi/access/login`,
      ],
    };
  },

  r2: async (env, cleanup) => {
    const settings = r2ServerSettings(env);
    const r2 = await startR2({ backend: "miniflare", host: ANY_HOST, port: SERVICE_PORTS.r2, ...settings, persistPath: R2_DATA_DIR });
    cleanup.add("stop the R2 simulator", async () => {
      await r2.stop();
      return r2.url;
    });
    return {
      lines: [
        `listening on ${r2.url} (R2: Cloudflare's R2 simulator, offline)`,
        `  S3 API under ${MINIFLARE_S3_PREFIX} (port ${r2.port} here, the published port on the host) for the host names localhost, 127.0.0.1, ${settings.hostnames.join(", ")}`,
        `  bucket ${r2.bucket}, access key id ${r2.accessKeyId}; data in ${R2_DATA_DIR} (the r2-data volume)`,
      ],
    };
  },

  containers: async (env, cleanup) => {
    const settings = platformSettings(env);
    // Its cleanup removes the containers (each logged as "destroyed" below), then stops the API.
    const platform = await startPlatform({ host: ANY_HOST, port: SERVICE_PORTS.platform, token: settings.token, namePrefix: settings.namePrefix }, cleanup);
    await checkOpenClawImage(platform.containers.docker, settings.image);
    // The sandbox's life in `docker compose logs containers`: starts, exits (with the code), removals.
    platform.containers.events.on("event", (event) => {
      if (!["running", "exited", "destroyed", "start-failed"].includes(event.type)) return;
      const detail =
        event.type === "exited"
          ? ` (code ${event.code ?? "?"}${event.signal ? `, ${event.signal}` : ""}${event.oomKilled ? ", OOM-killed" : ""})`
          : event.type === "start-failed"
            ? `: ${event.error?.message ?? ""}`
            : "";
      console.log(`${event.name}: ${event.type}${detail}`);
    });
    // OpenClaw takes its final backup on SIGTERM (to R2, which compose stops after this
    // service), so it is stopped gracefully before the platform removes it.
    cleanup.add("stop OpenClaw (final backup)", async () => {
      const stopped = await stopOpenClaw(platform.containers);
      if (stopped.length) console.log(`stopped ${describeStopped(stopped)}`);
      return undefined;
    });
    const { removed, kept } = platform.leftovers;
    const where = platform.containers.ownerContainer ? `in container ${platform.containers.ownerContainer.slice(0, 12)}` : "not in a container of this engine";
    return {
      lines: [
        `listening on ${platform.url} (Containers platform, ${where}); OpenClaw image ${settings.image.tag} is present`,
        ...removed.map((item) => `  removed leftover ${item.name} (${item.id.slice(0, 12)}): ${item.reason}`),
        ...kept.map((item) => `  kept ${item.name} (${item.id.slice(0, 12)}): ${item.reason}`),
      ],
    };
  },

  worker: async (env, cleanup) => {
    const workerConfig = readWorkerConfig();
    // As in `npm run dev`: the platform applies wrangler.jsonc's instance type.
    const settings = workerSettings(env, randomSecret, instanceTypeOf(workerConfig));
    await ensureBucket(settings.r2);
    const dir = await workerConfigDir({ path: WORKER_CONFIG_DIR }, cleanup);
    await writeFile(join(dir.path, "gateway-token"), `${settings.gatewayToken}\n`, { mode: 0o600 });
    const wrangler = await startWorker(
      {
        dir,
        config: workerConfig,
        env: settings,
        binding: settings.r2.binding,
        host: ANY_HOST,
        port: settings.port,
        persistTo: WORKER_STATE_DIR,
        // The healthcheck asks every few seconds: its successes would bury everything else.
        onLine: (line) => {
          if (!/GET \/sandbox-health 200\b/.test(line)) console.log(`[wrangler] ${line}`);
        },
      },
      cleanup,
    );
    return {
      lines: workerReadyLines(settings, env),
      exited: wrangler.exited.then(({ code, signal }) => `wrangler dev exited (${signal ?? `code ${code}`})`),
    };
  },
};

function workerReadyLines(settings: WorkerSettings, env: NodeJS.ProcessEnv): string[] {
  const team = settings.vars.CF_ACCESS_TEAM_DOMAIN!;
  const model =
    settings.tape === "replay"
      ? "the ai-gateway service's cassette (compose/cassette.yml), strict: a request it does not hold is refused"
      : settings.tape === "record"
        ? "the ai-gateway service, recording into MOLTLAB_RECORD_DIR (compose/record.yml)"
        : settings.provider.kind === "emulator"
          ? `the AI Gateway emulator (fake replies; scenarios: POST http://127.0.0.1:${env.MOLTLAB_AI_GATEWAY_PORT ?? SERVICE_PORTS.aiGateway}/__moltlab/scenarios)`
          : describeRealProvider(settings.provider);
  return [
    `ready on ${settings.url}/ (OpenClaw starts on the first request: a minute or two)`,
    `  log in: open ${settings.url}/ in a browser (Access login page at ${team}), or with curl:`,
    `    curl -c cookies.txt -d email=you@example.com ${team}/cdn-cgi/access/login && curl -b cookies.txt ${settings.url}/api/status`,
    `  model: ${model}`,
    `  OpenClaw: ${settings.image.tag} on ${settings.network}`,
    `  gateway token (OpenClaw's HTTP API): docker compose exec worker cat ${WORKER_CONFIG_DIR}/gateway-token`,
  ];
}

export async function composeService(args: readonly string[]): Promise<number> {
  const [name, ...rest] = args;
  const start = name ? SERVICES[name] : undefined;
  if (!start || rest.length) {
    throw new UserError(
      `compose-service needs one of ${Object.keys(SERVICES).join(", ")}${name ? `, not "${args.join(" ")}"` : ""}`,
      "it runs inside docker-compose.yml's containers: use `docker compose up` (see the README)",
    );
  }
  // Installed first: a stop during startup is honoured as soon as the service is up. Kept
  // installed (not `once`): wrangler-dev.ts kills wrangler at once if its handler is alone.
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    process.on("SIGTERM", resolve);
    process.on("SIGINT", resolve);
  });
  const cleanup = new Cleanup();
  // The service's log gets the cleanup's failures only, each under its step's name.
  const report = (line: string) => console.error(`moltlab compose-service ${name}: ${line}`);
  let running: Running;
  try {
    running = await start(process.env, cleanup);
  } catch (error) {
    await cleanup.run(report).catch(() => undefined);
    throw error;
  }
  for (const line of running.lines) console.log(line);
  const ended = await Promise.race([stopRequested.then(() => null), running.exited ?? new Promise<never>(() => undefined)]);
  await cleanup.run(report);
  if (ended) {
    console.error(`moltlab compose-service ${name}: ${ended}`);
    return 1;
  }
  // A requested stop is a success: compose reports it as exit code 0.
  return 0;
}

/**
 * The Worker under `wrangler dev --env local`, as `npm run dev` and the compose worker service
 * both run it: a 0700 dir with the generated wrangler.json and .dev.vars (0600; the run's
 * secrets are in them and nowhere else on disk), then the wrangler dev child (wrangler-dev.ts).
 */
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWranglerDev, type WranglerDev } from "../core/wrangler-dev.ts";
import type { Cleanup } from "./cleanup.ts";
import { devVars, ENVIRONMENT, sandboxWranglerConfig, type R2Credentials, type WranglerConfig } from "./sandbox-config.ts";
import type { WorkerEnv } from "./worker-env.ts";

export interface WorkerConfigDir {
  readonly path: string;
  /** Synchronous: also what runs if this process ends while wrangler still runs. */
  remove(): void;
}

/**
 * A new temp dir (`{ temp: prefix }`) or `{ path }`, emptied, for the generated config. Removed
 * by the cleanup step "remove temp files", and when this process exits before that step ran
 * (a crash or a second Ctrl-C skips the cleanup, and the dir holds the run's secrets).
 */
export async function workerConfigDir(where: { temp: string } | { path: string }, cleanup: Cleanup): Promise<WorkerConfigDir> {
  let path: string;
  if ("temp" in where) {
    path = await mkdtemp(join(tmpdir(), where.temp));
  } else {
    path = where.path;
    await rm(path, { recursive: true, force: true });
    await mkdir(path, { recursive: true, mode: 0o700 });
  }
  const remove = () => rmSync(path, { recursive: true, force: true });
  process.on("exit", remove);
  cleanup.add("remove temp files", async () => {
    process.off("exit", remove);
    await rm(path, { recursive: true, force: true });
    return path;
  });
  return { path, remove };
}

export interface WorkerOptions {
  dir: WorkerConfigDir;
  /** worker/wrangler.jsonc (readWorkerConfig). */
  config: WranglerConfig;
  env: WorkerEnv;
  /** The S3 credentials of the binding's bucket (R2StandIn.binding). */
  binding: R2Credentials;
  host: string;
  port: number;
  /** wrangler's state: the R2 simulator's buckets, the Sandbox Durable Object. */
  persistTo: string;
  /** wrangler's output once it is ready, secrets masked. */
  onLine?: (line: string) => void;
  /** Runs in the cleanup step after wrangler stopped. */
  afterStop?: () => Promise<void>;
}

/** Writes the config, starts wrangler dev and adds "stop wrangler dev" (its whole process group) to `cleanup`. */
export async function startWorker(options: WorkerOptions, cleanup: Cleanup): Promise<WranglerDev> {
  const { dir, env } = options;
  const configFile = join(dir.path, "wrangler.json");
  await writeFile(configFile, JSON.stringify(sandboxWranglerConfig(options.config, env.vars, options.binding), null, 2), { mode: 0o600 });
  await writeFile(join(dir.path, ".dev.vars"), devVars(env.secrets), { mode: 0o600 });
  await mkdir(options.persistTo, { recursive: true });
  const wrangler = await startWranglerDev({
    config: configFile,
    cwd: dir.path,
    host: options.host,
    port: options.port,
    persistTo: options.persistTo,
    // Its own dev registry: other `wrangler dev` sessions neither see nor bind to this one.
    registry: join(dir.path, "registry"),
    environment: ENVIRONMENT,
    // Cron Triggers by hand, on the loopback dev server: GET /__scheduled?cron=… wakes a sleeping container.
    testScheduled: true,
    secrets: [...new Set([...Object.values(env.secrets), options.binding.secretAccessKey])],
    onAbandon: dir.remove,
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
  cleanup.add("stop wrangler dev", async () => {
    await wrangler.stop();
    await options.afterStop?.();
    return `process group ${wrangler.pid}`;
  });
  return wrangler;
}

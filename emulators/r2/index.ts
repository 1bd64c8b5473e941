import type { S3ClientConfig } from "@aws-sdk/client-s3";
import type { StartedServer } from "../../core/serve.ts";
import { moltworkerEnv, R2_REGION, rcloneEnv, s3ClientConfig, type R2Connection } from "./clients.ts";
import { startMiniflareR2 } from "./miniflare-backend.ts";
import { startWranglerR2 } from "./wrangler-backend.ts";
import { type R2Faults, startR2Front } from "./front.ts";
import { r2BackendFromEnv, resolveSettings, type BackendServer, type R2Backend, type R2Options } from "./settings.ts";

export { MINIFLARE_S3_PREFIX } from "./miniflare-backend.ts";
export { WRANGLER_BINDING_PATH } from "./wrangler-backend.ts";
export { R2_BACKENDS, r2BackendFromEnv, type R2Backend, type R2Options } from "./settings.ts";
export { R2_REGION } from "./clients.ts";
export type { R2Fault, R2Faults, R2Request } from "./front.ts";

/** A placeholder account for moltworkerEnv(): 32 hex digits, like a real Cloudflare account ID. */
export const PLACEHOLDER_ACCOUNT_ID = "0".repeat(32);

export interface StartedR2 extends StartedServer, R2Faults {
  readonly backend: R2Backend;
  /** What S3 clients use as their endpoint (path-style). */
  readonly endpoint: string;
  /**
   * wrangler backend only: the base of the Worker's routes onto its R2 binding, the same bucket
   * as `endpoint` (`GET|PUT|DELETE <bindingUrl>/<encodeURIComponent(key)>`, `GET <bindingUrl>?prefix=`).
   */
  readonly bindingUrl?: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  /** Not enumerable: logging or serialising the handle does not print it. */
  readonly secretAccessKey: string;
  readonly region: typeof R2_REGION;
  /** AWS SDK v3 settings: `new S3Client(r2.s3ClientConfig())`. */
  s3ClientConfig(): S3ClientConfig;
  /** rclone settings for a remote of that name, as RCLONE_CONFIG_<REMOTE>_* variables. */
  rcloneEnv(remoteName: string): Record<string, string>;
  /** moltworker's R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY, R2_BUCKET_NAME and CF_ACCOUNT_ID. */
  moltworkerEnv(accountId?: string): Record<string, string>;
}

/**
 * Starts an R2 stand-in with one bucket, reachable over the S3 API. The backend is
 * Miniflare (Cloudflare's own local R2 simulator) unless `backend` or
 * MOLTLAB_R2_BACKEND says minio or wrangler. Credentials are random unless given.
 * Clients reach the backend (on loopback, a port of its own) through the front door
 * (front.ts) on `host:port`: it adds R2's `Date` header and injects faults.
 */
export async function startR2(options: R2Options = {}): Promise<StartedR2> {
  const backend = options.backend ?? r2BackendFromEnv();
  const settings = resolveSettings(options);
  // MinIO is loaded only when chosen: it needs Testcontainers, which Miniflare users do not.
  const behind = { ...settings, host: "127.0.0.1", port: 0 };
  const server: BackendServer =
    backend === "minio"
      ? await (await import("./minio-backend.ts")).startMinioR2(behind)
      : backend === "wrangler"
        ? await startWranglerR2(behind)
        : await startMiniflareR2(behind);
  const s3Path = new URL(server.endpoint).pathname.replace(/\/+$/, "");
  let front: Awaited<ReturnType<typeof startR2Front>>;
  try {
    front = await startR2Front({ upstream: server.url, s3Path, bucket: settings.bucket, host: settings.host, port: settings.port });
  } catch (error) {
    await server.stop();
    throw error;
  }
  const endpoint = front.url + s3Path;
  const connection: R2Connection = {
    backend,
    endpoint,
    bucket: settings.bucket,
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
  };
  const started = {
    backend,
    url: front.url,
    host: settings.host,
    port: front.port,
    endpoint,
    ...(server.bindingUrl ? { bindingUrl: front.url + new URL(server.bindingUrl).pathname } : {}),
    bucket: settings.bucket,
    accessKeyId: settings.accessKeyId,
    region: R2_REGION,
    stop: async () => {
      await front.stop();
      await server.stop();
    },
    fault: (fault: Parameters<R2Faults["fault"]>[0]) => front.fault(fault),
    onRequest: (listener: Parameters<R2Faults["onRequest"]>[0]) => front.onRequest(listener),
    s3ClientConfig: () => s3ClientConfig(connection),
    rcloneEnv: (remoteName: string) => rcloneEnv(connection, remoteName),
    moltworkerEnv: (accountId: string = PLACEHOLDER_ACCOUNT_ID) => moltworkerEnv(connection, accountId),
  };
  Object.defineProperty(started, "disturbed", { get: () => front.disturbed, enumerable: true });
  return Object.defineProperty(started, "secretAccessKey", { value: settings.secretAccessKey, enumerable: false }) as StartedR2;
}

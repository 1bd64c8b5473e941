import { UserError } from "../../core/errors.ts";
import { DEFAULT_BUCKET } from "../../contract/storage.ts";
import { randomSecret } from "../../core/secret.ts";

export type R2Backend = "miniflare" | "minio" | "wrangler";
export const R2_BACKENDS: readonly R2Backend[] = ["miniflare", "minio", "wrangler"];

/** moltworker's default bucket (R2_BUCKET_NAME). */

export interface R2Options {
  /** Default: MOLTLAB_R2_BACKEND, else "miniflare". */
  backend?: R2Backend;
  /** Default 127.0.0.1. Use 0.0.0.0 only when containers on a Docker bridge must reach it. */
  host?: string;
  /** Default 0: a free port chosen by the OS (MinIO: chosen by Docker). */
  port?: number;
  /** Default "moltbot-data". */
  bucket?: string;
  /** Default: random, shaped like R2's (32 hex characters). */
  accessKeyId?: string;
  /** Default: random, shaped like R2's (64 hex characters). */
  secretAccessKey?: string;
  /** Keep the bucket's contents here across runs. Default: a temp dir (Miniflare, wrangler) or the container (MinIO), gone after stop(). */
  persistPath?: string;
  /**
   * Miniflare only: other host names clients reach it by (e.g. a compose service name). Miniflare
   * serves its S3 API (under /cdn-cgi/) only to requests for localhost, 127.0.0.1 and these; others get 403.
   */
  hostnames?: string[];
}

/** What a backend needs: every option decided. */
export interface BackendSettings {
  host: string;
  port: number;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  persistPath: string | undefined;
  hostnames: string[];
}

/** What a backend gives back: a server plus the URL S3 clients use. */
export interface BackendServer {
  url: string;
  host: string;
  port: number;
  /** The S3 endpoint; for Miniflare and wrangler it includes the /cdn-cgi/local/r2/s3 prefix. */
  endpoint: string;
  /** wrangler only: where the Worker serves its R2 binding (see wrangler-backend.ts). */
  bindingUrl?: string;
  stop(): Promise<void>;
}

export function r2BackendFromEnv(env: NodeJS.ProcessEnv = process.env): R2Backend {
  const wanted = env.MOLTLAB_R2_BACKEND || "miniflare";
  if ((R2_BACKENDS as readonly string[]).includes(wanted)) return wanted as R2Backend;
  throw new UserError(
    `MOLTLAB_R2_BACKEND=${wanted} is not one of ${R2_BACKENDS.join(", ")}`,
    "unset it (Miniflare, Cloudflare's own R2 simulator, is the default), or set it to minio (MinIO in Docker) or wrangler (the same simulator behind `wrangler dev`, with a Worker binding on the bucket)",
  );
}

// S3 and R2 bucket naming: 3–63 lowercase letters, digits and hyphens. Checked here because
// the simulator would otherwise accept a name that real R2 rejects.
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export function resolveSettings(options: R2Options): BackendSettings {
  const bucket = options.bucket ?? DEFAULT_BUCKET;
  if (!BUCKET_NAME.test(bucket)) {
    throw new UserError(
      `"${bucket}" is not a valid R2 bucket name`,
      "use 3 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit",
    );
  }
  return {
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    bucket,
    accessKeyId: options.accessKeyId ?? randomSecret(16),
    secretAccessKey: options.secretAccessKey ?? randomSecret(32),
    persistPath: options.persistPath,
    hostnames: options.hostnames ?? [],
  };
}

/**
 * Where OpenClaw's bucket lives — the one place that decides it. Both ways, the Worker's own
 * R2 binding is wrangler dev's simulator, which also serves it over S3 with `binding`'s
 * credentials (sandbox-config.ts); what differs is what OpenClaw's backups use:
 *
 * - `npm run dev`: that same wrangler dev — the container's S3 endpoint is the Worker's own
 *   URL under the simulator's S3 prefix, as the container sees it — so binding and backups
 *   share one bucket, as on Cloudflare.
 * - docker compose: the r2 service, MinIO or, with compose/r2-offline.yml, Cloudflare's
 *   simulator (told apart by its S3 prefix in R2_ENDPOINT); the binding's own bucket is
 *   unused by moltworker.
 */
import type { NetworkMode } from "../platform/client/types.ts";
import { MINIFLARE_S3_PREFIX } from "../emulators/r2/index.ts";
import { s3ClientConfig, type R2Connection } from "../emulators/r2/clients.ts";
import { UserError } from "../core/errors.ts";
import { containerView } from "./network.ts";
import type { R2Credentials } from "./sandbox-config.ts";

export interface R2StandIn extends R2Connection {
  /** The S3 credentials wrangler dev serves the binding's bucket with. */
  binding: R2Credentials;
  /** Where the container connects for the endpoint's host, which its requests keep (R2_CONNECT_HOST). */
  connectHost?: string;
}

/**
 * `npm run dev`: the Worker's wrangler dev at `workerUrl` serves OpenClaw's bucket too.
 *
 * Off the host's network the container reaches wrangler at host.docker.internal, but wrangler's
 * simulator answers its S3 API (under /cdn-cgi/) only to loopback host names, and a SigV4
 * signature covers the Host header, so no proxy may rewrite it: the endpoint keeps `localhost`
 * and R2_CONNECT_HOST tells the supervisor to connect to host.docker.internal for it.
 */
export function wranglerR2(workerUrl: string, network: NetworkMode, bucket: string, credentials: R2Credentials): R2StandIn {
  const standIn = { backend: "wrangler" as const, bucket, ...credentials, binding: credentials };
  if (network === "host") return { ...standIn, endpoint: workerUrl + MINIFLARE_S3_PREFIX };
  const endpoint = new URL(workerUrl);
  endpoint.hostname = "localhost";
  return { ...standIn, endpoint: endpoint.origin + MINIFLARE_S3_PREFIX, connectHost: new URL(containerView(workerUrl, network)).hostname };
}

/** docker compose: the r2 service at `endpoint` (as OpenClaw, on the compose network, reaches it). */
export function serviceR2(service: Omit<R2Connection, "backend">, binding: R2Credentials): R2StandIn {
  return { backend: service.endpoint.includes(MINIFLARE_S3_PREFIX) ? "miniflare" : "minio", ...service, binding };
}

/**
 * MinIO starts without buckets, while R2 (and the offline simulator) has the configured one:
 * create it when missing. HeadBucket first, because the simulator answers CreateBucket with 501.
 */
export async function ensureBucket(r2: R2Connection): Promise<void> {
  const { S3Client, HeadBucketCommand, CreateBucketCommand } = await import("@aws-sdk/client-s3");
  const client = new S3Client(s3ClientConfig(r2));
  try {
    await client.send(new HeadBucketCommand({ Bucket: r2.bucket }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) {
      throw new UserError(
        `the R2 stand-in at ${r2.endpoint} did not answer for bucket ${r2.bucket} (${status ? `HTTP ${status}` : (error as Error).message})`,
        "check `docker compose logs r2`; the worker and r2 services must share R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY (MinIO: its root user)",
      );
    }
    await client.send(new CreateBucketCommand({ Bucket: r2.bucket }));
  } finally {
    client.destroy();
  }
}

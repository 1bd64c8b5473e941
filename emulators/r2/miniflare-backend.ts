import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { urlHost } from "../../core/serve.ts";
import type { BackendServer, BackendSettings } from "./settings.ts";

/** Where Miniflare serves a bucket's S3 API; without it requests reach the Worker instead. */
export const MINIFLARE_S3_PREFIX = "/cdn-cgi/local/r2/s3";

/**
 * What the stand-in's Worker answers (404, plain text) to every request that missed the
 * S3 prefix, so a misconfigured client fails readably instead of silently talking to nothing.
 */
export const NOT_THE_S3_API = `moltlab R2 stand-in: this is not the S3 API; S3 clients must use the endpoint ending in ${MINIFLARE_S3_PREFIX}\n`;

// The Worker exists only because Miniflare needs one to bind the bucket to.
const WORKER_SCRIPT = `export default {
  fetch() {
    return new Response(${JSON.stringify(NOT_THE_S3_API)}, { status: 404 });
  },
};`;

/** Cloudflare's own local R2 simulator (the one wrangler dev uses), served over S3 with SigV4. */
export async function startMiniflareR2(settings: BackendSettings): Promise<BackendServer> {
  const tempDir = settings.persistPath ? undefined : await mkdtemp(join(tmpdir(), "moltlab-r2-"));
  const miniflare = new Miniflare(
    // Miniflare 5 accepts only its new option shape; this converter takes the v4 shape, the one
    // that can attach S3 credentials to a bucket.
    convertV4MiniflareOptions({
      modules: true,
      script: WORKER_SCRIPT,
      host: settings.host,
      port: settings.port,
      // Without this Miniflare downloads request metadata from workers.cloudflare.com: everything stays local.
      cf: false,
      r2Buckets: {
        BUCKET: { id: settings.bucket, s3Credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } },
      },
      resourcePersistencePath: settings.persistPath ?? tempDir,
      // Miniflare answers /cdn-cgi/ (the S3 API) only for loopback names and its routes' hosts.
      ...(settings.hostnames.length ? { routes: settings.hostnames.map((hostname) => `${hostname}/*`) } : {}),
    }),
  );
  let ready: URL;
  try {
    ready = await miniflare.ready;
  } catch (error) {
    await miniflare.dispose().catch(() => {});
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw error;
  }
  // Miniflare exits the process on SIGINT/SIGTERM (after disposing workerd), before any
  // async stop() could run; a synchronous exit handler still removes our storage.
  const removeOnExit = () => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  process.on("exit", removeOnExit);
  const port = Number(ready.port);
  const url = `http://${urlHost(settings.host)}:${port}`;
  return {
    url,
    host: settings.host,
    port,
    endpoint: url + MINIFLARE_S3_PREFIX,
    async stop() {
      process.off("exit", removeOnExit);
      await miniflare.dispose();
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
}

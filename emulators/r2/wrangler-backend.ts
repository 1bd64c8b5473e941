import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWranglerDev, type WranglerDev } from "../../core/wrangler-dev.ts";
import { urlHost } from "../../core/serve.ts";
import { MINIFLARE_S3_PREFIX, NOT_THE_S3_API } from "./miniflare-backend.ts";
import type { BackendServer, BackendSettings } from "./settings.ts";

/** Where the wrangler backend's Worker serves its R2 binding: `bindingUrl` is the server's URL plus this. */
export const WRANGLER_BINDING_PATH = "/__moltlab/r2";

/** Its own prefix, distinct from the Miniflare backend's `moltlab-r2-`, so neither counts the other's temp dirs. */
export const WRANGLER_TEMP_PREFIX = "moltlab-wrangler-r2-";

// Within the wrangler 4.164 bundled workerd's date: a later one makes `wrangler dev` fail hard.
const COMPATIBILITY_DATE = "2026-11-01";

// The Worker under `wrangler dev`: the same bucket as the S3 endpoint, through the R2 binding.
//   GET    /__moltlab/r2?prefix=p  → JSON array of every key under p (all pages)
//   GET    /__moltlab/r2/<key>     → the object's bytes (with its ETag and content type), or 404
//   PUT    /__moltlab/r2/<key>     → stores the request body (and its content type); 201 with { key, etag, size }
//   DELETE /__moltlab/r2/<key>     → 204
// <key> is percent-encoded (encodeURIComponent). Anything else gets the Miniflare backend's 404.
const WORKER_SCRIPT = `const ROUTE = ${JSON.stringify(WRANGLER_BINDING_PATH)};
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === ROUTE && request.method === "GET") {
      const keys = [];
      const prefix = url.searchParams.get("prefix") ?? undefined;
      let cursor;
      do {
        const page = await env.BUCKET.list({ prefix, cursor });
        keys.push(...page.objects.map((object) => object.key));
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return Response.json(keys);
    }
    if (url.pathname.startsWith(ROUTE + "/")) {
      const key = decodeURIComponent(url.pathname.slice(ROUTE.length + 1));
      if (request.method === "GET") {
        const object = await env.BUCKET.get(key);
        if (!object) return new Response("no such key\\n", { status: 404 });
        const headers = new Headers({ etag: object.httpEtag });
        object.writeHttpMetadata(headers);
        return new Response(object.body, { headers });
      }
      if (request.method === "PUT") {
        // Buffered: the binding refuses streams of unknown length.
        const contentType = request.headers.get("content-type") ?? undefined;
        const object = await env.BUCKET.put(key, await request.arrayBuffer(), { httpMetadata: { contentType } });
        return Response.json({ key: object.key, etag: object.etag, size: object.size }, { status: 201 });
      }
      if (request.method === "DELETE") {
        await env.BUCKET.delete(key);
        return new Response(null, { status: 204 });
      }
      return new Response("method not allowed\\n", { status: 405 });
    }
    return new Response(${JSON.stringify(NOT_THE_S3_API)}, { status: 404 });
  },
};
`;

function wranglerConfig(settings: BackendSettings): string {
  return JSON.stringify(
    {
      name: "moltlab-r2",
      main: "worker.js",
      // The Worker is plain ESM already: no esbuild step, and no other files attached as modules
      // (no_bundle would otherwise attach, watch and reload on, every file under the config's dir).
      no_bundle: true,
      find_additional_modules: false,
      compatibility_date: COMPATIBILITY_DATE,
      r2_buckets: [
        {
          binding: "BUCKET",
          bucket_name: settings.bucket,
          local_dev: { experimental_s3_credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } },
        },
      ],
    },
    null,
    2,
  );
}

/**
 * Cloudflare's local R2 simulator served by `wrangler dev`: the S3 endpoint at
 * /cdn-cgi/local/r2/s3 and a Worker whose R2 binding (BUCKET) is the same bucket, for
 * tests in which a container's S3 traffic and a Worker's binding must meet.
 */
export async function startWranglerR2(settings: BackendSettings): Promise<BackendServer> {
  // <dir>/worker holds the config and the Worker; the bucket (state) and the dev registry live
  // beside it, never below: wrangler watches the Worker's dir and reloads (dropping requests in
  // flight) when anything there changes, and every PUT writes to the state dir.
  const dir = await mkdtemp(join(tmpdir(), WRANGLER_TEMP_PREFIX));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const workerDir = join(dir, "worker");
  let wrangler: WranglerDev;
  try {
    await mkdir(workerDir);
    // The secret lives only in this file (0600, under a 0700 dir): never on a command line or in the environment.
    await writeFile(join(workerDir, "wrangler.json"), wranglerConfig(settings), { mode: 0o600 });
    await writeFile(join(workerDir, "worker.js"), WORKER_SCRIPT);
    wrangler = await startWranglerDev({
      config: join(workerDir, "wrangler.json"),
      cwd: workerDir,
      host: settings.host,
      // 0 lets wrangler bind any free port itself (it reports the one in its Ready line): a
      // port picked beforehand can be taken by another process before wrangler binds it.
      port: settings.port,
      persistTo: settings.persistPath ?? join(dir, "state"),
      registry: join(dir, "registry"),
      secrets: [settings.secretAccessKey],
      onAbandon: removeDir,
    });
  } catch (error) {
    removeDir();
    throw error;
  }
  // The port wrangler itself reports listening on (the one asked for, or the one it chose for 0).
  const actualPort = Number(wrangler.url.port);
  const url = `http://${urlHost(settings.host)}:${actualPort}`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    host: settings.host,
    port: actualPort,
    endpoint: url + MINIFLARE_S3_PREFIX,
    bindingUrl: url + WRANGLER_BINDING_PATH,
    stop() {
      stopping ??= (async () => {
        await wrangler.stop();
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

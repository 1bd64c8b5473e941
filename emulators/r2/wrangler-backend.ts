import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { urlHost } from "../shared/serve.ts";
import { MINIFLARE_S3_PREFIX, NOT_THE_S3_API } from "./miniflare-backend.ts";
import type { BackendServer, BackendSettings } from "./settings.ts";

/** Where the wrangler backend's Worker serves its R2 binding: `bindingUrl` is the server's URL plus this. */
export const WRANGLER_BINDING_PATH = "/__moltlab/r2";

/** Its own prefix, distinct from the Miniflare backend's `moltlab-r2-`, so neither counts the other's temp dirs. */
export const WRANGLER_TEMP_PREFIX = "moltlab-wrangler-r2-";

// Within the wrangler 4.164 bundled workerd's date: a later one makes `wrangler dev` fail hard.
const COMPATIBILITY_DATE = "2026-11-01";
// Bounds, not expectations: wrangler is ready in ~2.5 s and stops in well under a second here.
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_LINES = 40;

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
  return JSON.stringify({
    name: "moltlab-r2",
    main: "worker.js",
    // The Worker is plain ESM already: no esbuild step, and no other files attached as modules
    // (no_bundle would otherwise attach, watch and reload on, every file under the config's dir).
    no_bundle: true,
    find_additional_modules: false,
    compatibility_date: COMPATIBILITY_DATE,
    r2_buckets: [{
      binding: "BUCKET",
      bucket_name: settings.bucket,
      local_dev: { experimental_s3_credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } },
    }],
  }, null, 2);
}

/** wrangler's bin script, run with this process's Node (npm puts Node 24 first on PATH; the system Node may be too old for wrangler). */
function wranglerBin(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve("wrangler/package.json");
  const { bin } = require(packageJson) as { bin: Record<string, string> };
  return join(dirname(packageJson), bin.wrangler!);
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
  let wrangler: ChildProcess | undefined;
  try {
    await mkdir(workerDir);
    // The secret lives only in this file (0600, under a 0700 dir): never on a command line or in the environment.
    await writeFile(join(workerDir, "wrangler.json"), wranglerConfig(settings), { mode: 0o600 });
    await writeFile(join(workerDir, "worker.js"), WORKER_SCRIPT);
    const port = settings.port || (await freePort(settings.host));
    wrangler = spawn(process.execPath, [
      wranglerBin(), "dev", "--config", join(workerDir, "wrangler.json"), "--local",
      "--ip", settings.host, "--port", String(port), "--persist-to", settings.persistPath ?? join(dir, "state"),
      // Its devtools port: otherwise the first free one from 9229, which two wrangler dev starting at
      // once both pick (the second then exits with "Address already in use"); 0 lets the OS choose.
      "--inspector-port", "0",
      "--show-interactive-dev-session=false",
    ], {
      // Not the caller's directory: wrangler would read its .env files.
      cwd: workerDir,
      env: {
        ...process.env,
        // Fully offline and quiet: no cf.json download, no telemetry, no debug log files in ~/.config,
        // a dev registry of its own (other `wrangler dev` sessions neither see nor bind to this Worker).
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_SEND_ERROR_REPORTS: "false",
        WRANGLER_WRITE_LOGS: "false",
        WRANGLER_REGISTRY_PATH: join(dir, "registry"),
        WRANGLER_CI_DISABLE_CONFIG_WATCHING: "true",
        NO_COLOR: "1",
        FORCE_COLOR: "0",
      },
      // A process group of its own (wrangler's bin → wrangler → workerd), so stop() can end all of it.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    removeDir();
    throw error;
  }
  const child = wrangler;
  const group = child.pid!;
  trackGroup(group, removeDir);
  let ready: URL;
  try {
    ready = await readyUrl(child, settings.secretAccessKey);
  } catch (error) {
    await endGroup(child, group);
    removeDir();
    throw error;
  }
  // The port wrangler itself reports listening on (the one asked for: a taken port makes it exit).
  const actualPort = Number(ready.port);
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
        await endGroup(child, group);
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/**
 * A port that was free a moment ago. wrangler always gets an explicit port (its own default is
 * 8787, which anything may hold); if another process takes this one meanwhile, wrangler exits
 * and startR2 fails with wrangler's "Address already in use".
 */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Resolves with the URL of wrangler's "Ready on http://…" line. Rejects if wrangler exits
 * first or is not ready in time, with the end of its output (the secret masked) as the reason.
 */
function readyUrl(wrangler: ChildProcess, secret: string): Promise<URL> {
  let output = "";
  const tail = () => output.replaceAll(secret, "****").trimEnd().split("\n").slice(-OUTPUT_TAIL_LINES).join("\n");
  return new Promise<URL>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      // Colours are off, but a user's FORCE_COLOR elsewhere must not break the match.
      output += chunk.toString().replace(/\x1b\[[0-9;]*m/g, "");
      const match = /Ready on (https?:\/\/\S+)/.exec(output);
      if (match) settle(() => resolve(new URL(match[1]!)));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      settle(() => reject(new Error(`wrangler dev exited (${signal ?? `code ${code}`}) before it was ready; its output ended with:\n${tail()}`)));
    const timer = setTimeout(() => settle(() => reject(new Error(`wrangler dev was not ready within ${READY_TIMEOUT_MS / 1000} s; its output ended with:\n${tail()}`))), READY_TIMEOUT_MS);
    function settle(outcome: () => void) {
      clearTimeout(timer);
      wrangler.stdout!.off("data", onData);
      wrangler.stderr!.off("data", onData);
      wrangler.off("exit", onExit);
      // Keep draining: a full pipe would block wrangler's logging, and with it wrangler.
      wrangler.stdout!.resume();
      wrangler.stderr!.resume();
      outcome();
    }
    wrangler.stdout!.on("data", onData);
    wrangler.stderr!.on("data", onData);
    wrangler.once("exit", onExit);
  });
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch (error) {
    // ESRCH: nothing left in the group.
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * SIGTERM to the whole group: wrangler disposes workerd, and its bin script exits after it.
 * SIGKILL if that takes too long, and once more afterwards for anything the bin script left behind.
 */
async function endGroup(wrangler: ChildProcess, group: number): Promise<void> {
  untrackGroup(group);
  if (wrangler.exitCode === null && wrangler.signalCode === null) {
    const exited = new Promise<void>((resolve) => wrangler.once("exit", () => resolve()));
    signalGroup(group, "SIGTERM");
    const timer = setTimeout(() => signalGroup(group, "SIGKILL"), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
  signalGroup(group, "SIGKILL");
}

// A detached group outlives this process unless killed. The exit handler covers a normal end
// and a crash; the signal handlers cover SIGINT/SIGTERM/SIGHUP, which end Node without running
// exit handlers. Both are synchronous: by then no async stop() can run.
const running = new Map<number, () => void>();
const EXIT_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function killAll(): void {
  for (const [group, removeDir] of running) {
    signalGroup(group, "SIGKILL");
    removeDir();
  }
  running.clear();
  detachHandlers();
}

function onSignal(signal: NodeJS.Signals): void {
  // Alone, our listener would swallow the signal; with others (a CLI's own shutdown), they decide.
  const alone = process.listenerCount(signal) === 1;
  killAll();
  if (alone) process.kill(process.pid, signal);
}

function trackGroup(group: number, removeDir: () => void): void {
  if (running.size === 0) {
    process.on("exit", killAll);
    for (const signal of EXIT_SIGNALS) process.on(signal, onSignal);
  }
  running.set(group, removeDir);
}

function untrackGroup(group: number): void {
  running.delete(group);
  if (running.size === 0) detachHandlers();
}

function detachHandlers(): void {
  process.off("exit", killAll);
  for (const signal of EXIT_SIGNALS) process.off(signal, onSignal);
}

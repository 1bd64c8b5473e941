/**
 * Run once by the image build (the Dockerfile's warm-up step), as the gateway user, where the
 * build runs on the target's own CPU: boots OpenClaw's gateway until /readyz answers and stops
 * it, so that Node writes the V8 code cache OpenClaw turns on (module.enableCompileCache, under
 * os.tmpdir()/node-compile-cache) into the image. Every cold start then loads OpenClaw's modules
 * from that cache instead of compiling them again in a fresh container: at standard-1's half a
 * core the gateway was ready ×0.91 of the time without it (tests/perf/compile-cache.perf.ts).
 *
 * Node files the cache under its version, the CPU architecture, V8's cachedDataVersionTag (V8's
 * version, its flags and the CPU features it found) and the uid: a machine whose CPU differs from
 * the build machine's finds no entry and compiles as before, so the cache can only help. Nothing
 * else of the run stays in the image: its HOME (config, state, keys) and what it left in /tmp go.
 *
 * An optimisation, so it never fails the build: when the gateway does not get ready or Node writes
 * no cache, it says why and the image is built without one. Runs with Node's type stripping in
 * moltlab's image (`node warm.ts`: Node built-ins only), bundled to plain JavaScript in the layer
 * moltlab puts on a user's image (container/build/user-image.ts), whose Node may not strip types.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMPILE_CACHE_ROOT, cacheFolders, cacheVersionTag } from "./tag.ts";
/** A port of its own: the build's network namespace has nothing else listening. */
const PORT = 18789;
const READY_WITHIN_MS = 5 * 60_000;
const STOP_WITHIN_MS = 60_000;
const POLL_MS = 250;
/** The OpenClaw the supervisor starts: OPENCLAW_BIN when an image sets it (a user's may), else the one on PATH. */
const OPENCLAW = process.env.OPENCLAW_BIN?.trim() || "openclaw";

function filesUnder(dir: string): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    count++;
    bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return { count, bytes };
}

async function readyz(): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${PORT}/readyz`, { signal: AbortSignal.timeout(5000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

async function warm(): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), "moltlab-warm-home-"));
  const tail: string[] = [];
  const gateway = spawn(OPENCLAW, ["gateway", "--port", String(PORT), "--bind", "loopback", "--allow-unconfigured"], {
    env: { ...process.env, HOME: home, OPENCLAW_GATEWAY_TOKEN: randomBytes(24).toString("hex") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Its last lines, quoted when it does not get ready: the build log is all a user sees of it.
  for (const stream of [gateway.stdout, gateway.stderr])
    stream.on("data", (chunk: Buffer) => {
      tail.push(...chunk.toString().split("\n").filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 20));
    });
  let exited = false;
  const exit = new Promise<string>((resolve) =>
    gateway.on("close", (code, signal) => {
      exited = true;
      resolve(signal ? `signal ${signal}` : `code ${code}`);
    }),
  );
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const last = () => (tail.length ? `; its last lines:\n  ${tail.join("\n  ")}` : "");
  try {
    while ((await readyz()) !== 200) {
      if (exited) return `skipped: the gateway exited (${await exit}) after ${elapsed()} before /readyz answered 200${last()}`;
      if (performance.now() - started > READY_WITHIN_MS) return `skipped: /readyz did not answer 200 within ${READY_WITHIN_MS / 60_000} minutes${last()}`;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const readyAfter = elapsed();
    // Node writes the cache when the process exits: OpenClaw's own SIGTERM handling ends it cleanly.
    gateway.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const how = await Promise.race([exit, new Promise<null>((resolve) => (timer = setTimeout(resolve, STOP_WITHIN_MS, null)))]);
    // A pending timer would keep this process, and so the build step, alive for the rest of the minute.
    clearTimeout(timer);
    if (how === null) return `skipped: the gateway did not stop within ${STOP_WITHIN_MS / 1000} s of SIGTERM${last()}`;
    const tag = cacheVersionTag();
    const files = cacheFolders()
      .filter((folder) => folder.tag === tag)
      .map((folder) => filesUnder(folder.dir));
    const count = files.reduce((sum, next) => sum + next.count, 0);
    if (count === 0) return `skipped: Node wrote no compile cache for ${tag} under ${COMPILE_CACHE_ROOT} (does this OpenClaw still turn it on?)${last()}`;
    const megabytes = files.reduce((sum, next) => sum + next.bytes, 0) / 1e6;
    return `${count} modules, ${megabytes.toFixed(1)} MB, for ${tag} (gateway ready after ${readyAfter}, ${how} on SIGTERM)`;
  } finally {
    if (!exited) gateway.kill("SIGKILL");
    rmSync(home, { recursive: true, force: true });
  }
}

/** What the run leaves in /tmp besides the cache (OpenClaw's log, lock and staging folders) goes too. */
function removeLeftovers(before: ReadonlySet<string>): void {
  for (const name of readdirSync(tmpdir()))
    if (!before.has(name) && join(tmpdir(), name) !== COMPILE_CACHE_ROOT) rmSync(join(tmpdir(), name), { recursive: true, force: true });
}

const before = new Set(readdirSync(tmpdir()));
try {
  console.log(`OpenClaw compile cache: ${await warm()}`);
} catch (error) {
  console.log(`OpenClaw compile cache: skipped: ${error instanceof Error ? error.message : String(error)}`);
  rmSync(COMPILE_CACHE_ROOT, { recursive: true, force: true });
} finally {
  removeLeftovers(before);
}

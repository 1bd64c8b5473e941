/**
 * Where Node keeps the module compile cache OpenClaw turns on, and the folder it picks for a
 * process: shared by the build step that writes the cache (warm.ts) and the supervisor, which
 * says at each start whether this machine can use the one in the image. Node built-ins only:
 * warm.ts runs it in the image with Node's type stripping.
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { cachedDataVersionTag } from "node:v8";

/** os.tmpdir()/node-compile-cache, OpenClaw's choice when NODE_COMPILE_CACHE is unset (openclaw.mjs). */
export const COMPILE_CACHE_ROOT = "/tmp/node-compile-cache";

/**
 * Node's name for a process's cache folder (GetCacheVersionTag in node's compile_cache.cc): its
 * version, the CPU architecture, V8's cachedDataVersionTag (V8's version, its flags and the CPU
 * features it found) and the uid. Another CPU, another Node or another user: another folder.
 */
export function cacheVersionTag(uid: number | undefined = process.getuid?.()): string {
  return `${process.version}-${process.arch}-${cachedDataVersionTag().toString(16).padStart(8, "0")}${uid === undefined ? "" : `-${uid}`}`;
}

/** The folders right inside `dir` (none when it does not exist). */
function subfolders(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(dir, entry.name));
}

/**
 * The cache folders under `root` (…/openclaw/<version>/<install>/<tag>), by their tag. Level by
 * level, never into a tag folder: the supervisor calls this before it starts the gateway, and a
 * recursive listing of the ~5,700 entries in the image's took 0.25 s at half a core.
 */
export function cacheFolders(root: string = COMPILE_CACHE_ROOT): { tag: string; dir: string }[] {
  let dirs = [root];
  for (let level = 0; level < 4; level++) dirs = dirs.flatMap(subfolders);
  return dirs.map((dir) => ({ tag: basename(dir), dir }));
}

/**
 * What the supervisor says at each start about the image's cache for the gateway's user: whether
 * this machine finds its entries (made here, or on a CPU like this one) or compiles OpenClaw's
 * modules as if there were none. The build makes the cache on its own machine; Cloudflare's may differ.
 */
export function describeCompileCache(uid: number | undefined, folders: readonly { tag: string }[] = cacheFolders()): string {
  const needed = cacheVersionTag(uid);
  if (folders.length === 0)
    return `the image carries no OpenClaw compile cache (built under emulation, or its build could not boot OpenClaw: see the build log): OpenClaw compiles its modules at every cold start`;
  if (folders.some((folder) => folder.tag === needed))
    return `the image's OpenClaw compile cache fits this machine (${needed}): a cold start reads its modules' compiled code`;
  const made = [...new Set(folders.map((folder) => folder.tag))].join(", ");
  return `the image's OpenClaw compile cache was made for ${made}, this machine needs ${needed} (another CPU, Node or user): OpenClaw compiles its modules at every cold start`;
}

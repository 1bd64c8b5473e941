/**
 * Walks the backed-up directories. What is left out, and why:
 * - OpenClaw's own runtime files in its state dir (locks, its temp and log folders, the
 *   dependency trees of installed plugins), by path relative to that root: wrong or useless
 *   after a restore, and a stale lock can even block the restored gateway. Nothing is left out
 *   by name alone: Cargo.lock, yarn.lock, a repository's .git/logs (reflog, stash), a `tmp/`
 *   folder or `notes.log` in the workspace are the user's data;
 * - SQLite -wal/-shm/-journal files next to a real database (by its header): the database is
 *   copied with the online backup API, which already includes what the WAL holds; the same
 *   names next to an ordinary file are ordinary files;
 * - our own temp files.
 * `.git` directories are kept, whole: workspace and ghq repositories must survive a restart
 * with their branches and unpushed commits, and a partly copied .git is a broken repository.
 * Files above MOLTLAB_BACKUP_MAX_FILE_MB are skipped with a warning naming them.
 */
import { type FileHandle, lstat, open, readdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { constants, lstatSync, readlinkSync, type Stats } from "node:fs";
import { errorText } from "./log.ts";
import { HAS_PROC_FD, unreadableReason, type Reader } from "./local-read.ts";
import { eventLoopTurns } from "./parallel.ts";
import { isSqliteDatabase, SQLITE_SIDECARS } from "./sqlite-copy.ts";

export interface LocalEntry {
  /** Relative to its root, with "/". */
  path: string;
  abs: string;
  /** `abs` with the root's own symlinks resolved: the path an opened file must turn out to have. */
  real?: string;
  type: "file" | "dir" | "symlink";
  mode: number;
  size: number;
  target?: string;
  /** Changes when the content may have changed (size, times, inode); for a database it covers the WAL too. */
  statKey: string;
}

export interface ScanResult {
  entries: LocalEntry[];
  /** Files over the size limit. */
  tooLarge: string[];
  /** Paths that could not be listed or examined, and why ("" for the root itself): their contents are unknown this run. */
  unreadable: { path: string; reason: string }[];
}

/**
 * OpenClaw's runtime files in its state dir (root `openclaw`), relative to it; `*` stands for
 * one path segment (a uid, an agent id, a plugin). A folder is left out with all it holds.
 * Read in OpenClaw 2026.9.6 (npm package: dist/ and docs/cli/backup.md, which lists what
 * its own `openclaw backup` leaves out).
 */
const OPENCLAW_RUNTIME_PATHS = [
  // Its temp root. The gateway's locks live in tmp/openclaw-<uid>/ (gateway.<config hash>.lock,
  // gateway.state.lock, and `.sqlite` coordinators it holds with BEGIN EXCLUSIVE while it runs:
  // paths.ts resolveGatewayLockDir, gateway-lock.ts); also skill uploads and plugin captures.
  "tmp",
  // Its log folder (commands.log, raw-stream.jsonl, stability/). The gateway's daily log is in /tmp/openclaw.
  "logs",
  // Locks around writes of openclaw.json: fs-safe's sidecar lock file and a mkdir lock (io.snapshot: `${basename}.clobber.lock`).
  "openclaw.json.lock",
  "openclaw.json.clobber.lock",
  // Temp trees of an agent's runtime, regenerated on use.
  "agents/*/agent/tmp",
  "agents/*/agent/.tmp",
  // Chromium's per-host profile lock: symlinks to <host>-<pid> and a socket. Restored into
  // another container (another hostname), Chromium would take the profile for one in use elsewhere.
  "browser/*/user-data/SingletonLock",
  "browser/*/user-data/SingletonCookie",
  "browser/*/user-data/SingletonSocket",
  // Dependency trees of installed plugins: npm installs (per-plugin projects since 2026.5.28,
  // the shared legacy root before) and local extensions, as OpenClaw's own backup does.
  "npm/node_modules",
  "npm/projects/*/node_modules",
  "extensions/*/node_modules",
  // The Control UI's files unpacked from the installed package (a folder per content hash, built
  // in .staging-* first), rebuilt in the background after every start when missing. About 1,560
  // files: restoring them cost 5 s (12.9 s before packs) of a restart, before the gateway starts,
  // to save a task it runs after it is ready. OpenClaw's own backup leaves them out too
  // (backup-shared isVolatileBackupPath, 2026.9.6).
  "cache/control-ui-assets",
];

/** Runtime files by root name; other roots (workspace, skills, extra dirs) are all data. */
const RUNTIME_PATHS: Readonly<Record<string, readonly string[]>> = { openclaw: OPENCLAW_RUNTIME_PATHS };

/** Our own temp files: config and restore write `<name>.moltlab-tmp` and rename it. */
const OWN_TEMP_FILE = /\.moltlab-tmp$|^\.moltlab-/;

type Rule = readonly RegExp[];
const compiledRules = new Map<string, readonly Rule[]>();

function rulesFor(rootName: string | undefined): readonly Rule[] {
  if (rootName === undefined) return [];
  let rules = compiledRules.get(rootName);
  if (!rules) {
    rules = (RUNTIME_PATHS[rootName] ?? []).map((pattern) => pattern.split("/").map(segmentPattern));
    compiledRules.set(rootName, rules);
  }
  return rules;
}

function segmentPattern(segment: string): RegExp {
  return new RegExp(
    `^${segment
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join("[^/]*")}$`,
  );
}

/**
 * Whether `path` (relative to the root named `rootName`, with "/") is left out: one of our
 * temp files, or OpenClaw's runtime file or folder, or inside one. Used by the scan and, to
 * ignore the same events, by the backup loop's watcher.
 */
export function isExcludedPath(rootName: string | undefined, path: string): boolean {
  const parts = path.split("/");
  if (OWN_TEMP_FILE.test(parts[parts.length - 1]!)) return true;
  return rulesFor(rootName).some((rule) => rule.length <= parts.length && rule.every((segment, i) => segment.test(parts[i]!)));
}

export interface ScanOptions {
  /** The root's name (openclaw, workspace, …): which runtime files to leave out. None: only our temp files. */
  rootName?: string;
  /** The gateway's user: folders it could not list itself are not walked (reported as unreadable). */
  reader?: Reader;
}

/** A SQLite sidecar whose database sits next to it: the base file must be a database by its header. */
async function isSidecar(dir: string, name: string, siblings: ReadonlySet<string>): Promise<boolean> {
  const suffix = SQLITE_SIDECARS.find((suffix) => name.endsWith(suffix) && siblings.has(name.slice(0, -suffix.length)));
  return suffix !== undefined && (await isSqliteDatabase(join(dir, name.slice(0, -suffix.length))));
}

/**
 * Every entry under `root`, sorted by path. `skipDirs` are other roots nested inside this one
 * (the workspace inside ~/.openclaw): they are backed up under their own name.
 */
export async function scanRoot(root: string, skipDirs: readonly string[], maxFileBytes: number, options: ScanOptions = {}): Promise<ScanResult> {
  const entries: LocalEntry[] = [];
  const tooLarge: string[] = [];
  const unreadable: ScanResult["unreadable"] = [];
  const skip = new Set(skipDirs);
  // An lstat per entry, synchronous (see eventLoopTurns): the unchanged rescan is nothing else.
  const turn = eventLoopTurns();
  // `abs` keeps the root as configured (the restore's known files use it); `real` is what the
  // kernel will report for an opened file, for the read's check that nothing was swapped.
  const walk = async (dir: string, realDir: string, rel: string): Promise<void> => {
    let names: string[];
    try {
      names = await listFolder(realDir, options.reader);
    } catch (error) {
      // Gone between listing and reading (deleted while we scan): nothing to back up there.
      if (!isGone(error)) unreadable.push({ path: rel, reason: errorText(error) });
      return;
    }
    const siblings = new Set(names);
    for (const name of names.sort()) {
      const abs = join(dir, name);
      const real = join(realDir, name);
      const path = rel ? `${rel}/${name}` : name;
      await turn();
      let stats: Stats;
      try {
        stats = lstatSync(abs);
      } catch (error) {
        if (!isGone(error)) unreadable.push({ path, reason: errorText(error) });
        continue;
      }
      if (stats.isDirectory()) {
        if (isExcludedPath(options.rootName, path) || skip.has(abs)) continue;
        entries.push({ path, abs, real, type: "dir", mode: stats.mode & 0o7777, size: 0, statKey: "" });
        await walk(abs, real, path);
      } else if (stats.isSymbolicLink()) {
        if (isExcludedPath(options.rootName, path)) continue;
        const target = readlinkOrUndefined(abs);
        if (target !== undefined) entries.push({ path, abs, real, type: "symlink", mode: 0, size: 0, target, statKey: target });
      } else if (stats.isFile()) {
        if (isExcludedPath(options.rootName, path) || (await isSidecar(dir, name, siblings))) continue;
        if (stats.size > maxFileBytes) {
          tooLarge.push(abs);
          continue;
        }
        // The -wal is looked for only if the listing has one: one lstat per file instead of two.
        const wal = siblings.has(`${name}-wal`) ? lstatOrUndefined(`${abs}-wal`) : undefined;
        entries.push({ path, abs, real, type: "file", mode: stats.mode & 0o7777, size: stats.size, statKey: combinedStatKey(stats, wal) });
      }
      // Sockets (OpenClaw's exec-approvals.sock), FIFOs and devices are not data.
    }
  };
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (error) {
    if (!isGone(error)) unreadable.push({ path: "", reason: errorText(error) });
    return { entries, tooLarge, unreadable };
  }
  await walk(root, realRoot, "");
  return { entries, tooLarge, unreadable };
}

/**
 * The names in a folder, listed through a descriptor opened without following a symlink (a
 * folder swapped for one during the scan is not walked into) and, with a reader, only if
 * that user could list it itself.
 */
async function listFolder(dir: string, reader: Reader | undefined): Promise<string[]> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP")
      throw new Error("the folder is a symbolic link now (replaced during the scan); not followed", { cause: error });
    throw error;
  }
  try {
    const why = reader && unreadableReason(await handle.stat(), reader, 0o5);
    if (why) throw new Error(why);
    return await readdir(HAS_PROC_FD ? `/proc/self/fd/${handle.fd}` : dir);
  } finally {
    await handle.close();
  }
}

/** Size, times and inode of a file and, when present, of its -wal (a database changes there first). */
export async function fileStatKey(abs: string): Promise<string> {
  const own = await lstat(abs);
  return combinedStatKey(own, await lstat(`${abs}-wal`).catch(() => undefined));
}

function combinedStatKey(own: Stats, wal: Stats | undefined): string {
  return wal ? `${statKeyOf(own)}|${statKeyOf(wal)}` : statKeyOf(own);
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function readlinkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** One file's part of a stat key: what changes when its content may have. */
export function statKeyOf(stats: Stats): string {
  return `${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.ino}`;
}

export function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

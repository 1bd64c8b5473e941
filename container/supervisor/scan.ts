/**
 * Walks the backed-up directories. What is left out, and why:
 * - lock files, pid files, logs, temp files and tmp/ folders: runtime litter that is wrong
 *   or useless after a restore (a stale lock can even block the restored program);
 * - node_modules/: reinstallable, large, full of platform-specific binaries;
 * - SQLite -wal/-shm/-journal files next to a real database (by its header): the database is
 *   copied with the online backup API, which already includes what the WAL holds; the same
 *   names next to an ordinary file are ordinary files;
 * - our own temp files.
 * `.git` directories are kept, whole: workspace and ghq repositories must survive a restart
 * with their branches and unpushed commits, and a partly copied .git is a broken repository.
 * Files above MOLTLAB_BACKUP_MAX_FILE_MB are skipped with a warning naming them.
 */
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { Stats } from "node:fs";
import { isSqliteDatabase, SQLITE_SIDECARS } from "./sqlite-copy.ts";

export interface LocalEntry {
  /** Relative to its root, with "/". */
  path: string;
  abs: string;
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
}

const EXCLUDED_DIRS = new Set(["node_modules", "tmp", ".tmp", "logs"]);
const EXCLUDED_FILE = /(\.lock|\.pid|\.log|\.tmp|\.swp|\.moltlab-tmp)$|^\.DS_Store$|^\.moltlab-/;

export function isExcludedName(name: string, isDir: boolean): boolean {
  return isDir ? EXCLUDED_DIRS.has(name) : EXCLUDED_FILE.test(name);
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
export async function scanRoot(root: string, skipDirs: readonly string[], maxFileBytes: number): Promise<ScanResult> {
  const entries: LocalEntry[] = [];
  const tooLarge: string[] = [];
  const skip = new Set(skipDirs);
  const walk = async (dir: string, rel: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      // Gone between listing and reading (deleted while we scan): nothing to back up there.
      if (isGone(error)) return;
      throw error;
    }
    const siblings = new Set(names);
    for (const name of names.sort()) {
      const abs = join(dir, name);
      const path = rel ? `${rel}/${name}` : name;
      let stats: Stats;
      try {
        stats = await lstat(abs);
      } catch (error) {
        if (isGone(error)) continue;
        throw error;
      }
      if (stats.isDirectory()) {
        if (isExcludedName(name, true) || skip.has(abs)) continue;
        entries.push({ path, abs, type: "dir", mode: stats.mode & 0o7777, size: 0, statKey: "" });
        await walk(abs, path);
      } else if (stats.isSymbolicLink()) {
        if (isExcludedName(name, false)) continue;
        const target = await readlink(abs).catch(() => undefined);
        if (target !== undefined) entries.push({ path, abs, type: "symlink", mode: 0, size: 0, target, statKey: target });
      } else if (stats.isFile()) {
        if (isExcludedName(name, false) || (await isSidecar(dir, name, siblings))) continue;
        if (stats.size > maxFileBytes) {
          tooLarge.push(abs);
          continue;
        }
        entries.push({ path, abs, type: "file", mode: stats.mode & 0o7777, size: stats.size, statKey: await fileStatKey(abs, stats) });
      }
      // Sockets, FIFOs and devices are not data.
    }
  };
  await walk(root, "");
  return { entries, tooLarge };
}

/** Size, times and inode of a file and, when present, of its -wal (a database changes there first). */
export async function fileStatKey(abs: string, stats?: Stats): Promise<string> {
  const own = stats ?? (await lstat(abs));
  const wal = await lstat(`${abs}-wal`).catch(() => undefined);
  const key = (s: Stats) => `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
  return wal ? `${key(own)}|${key(wal)}` : key(own);
}

export function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

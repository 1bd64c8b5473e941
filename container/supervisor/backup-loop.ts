/**
 * When to back up. fs.watch (recursive; inotify on Linux) marks the state dirty, and every
 * MOLTLAB_BACKUP_INTERVAL a dirty state is backed up: the loss window on a crash is that
 * interval plus one upload, not upstream's 30 s. Watchers can miss events (queue overflow,
 * folders created later, filesystems without inotify), so a full scan also runs every
 * MOLTLAB_BACKUP_RESCAN, and on every tick when no watcher works.
 */
import { existsSync, watch, type FSWatcher } from "node:fs";
import type { BackupResult } from "./backup.ts";
import type { BackupRoot } from "./env.ts";
import { errorText, type Logger } from "./log.ts";
import { isExcludedPath } from "./scan.ts";

export interface BackupLoopOptions {
  dirs: readonly string[];
  /** The roots behind `dirs`, so events in what a root's backup leaves out are ignored; without them only our temp files are. */
  roots?: readonly BackupRoot[];
  intervalMs: number;
  rescanMs: number;
  run: (reason: string) => Promise<BackupResult>;
  log: Logger;
}

export interface BackupLoop {
  stop(): void;
}

export function startBackupLoop(options: BackupLoopOptions): BackupLoop {
  const { log } = options;
  const watchers = new Map<string, FSWatcher>();
  let dirty = false;
  let stopped = false;
  let lastRun = Date.now();
  let timer: NodeJS.Timeout | undefined;

  const attach = () => {
    for (const dir of options.dirs) {
      if (watchers.has(dir) || !existsSync(dir)) continue;
      try {
        const root = options.roots?.find((root) => root.dir === dir) ?? { name: undefined, dir };
        const watcher = watch(dir, { recursive: true }, (_event, filename) => {
          if (filename && isIgnoredEvent(root, filename.toString())) return;
          dirty = true;
        });
        watcher.on("error", (error) => {
          log.warn("backup", "file watcher failed; relying on periodic scans for this folder", { dir, error: errorText(error) });
          watcher.close();
          watchers.delete(dir);
          dirty = true;
        });
        watchers.set(dir, watcher);
      } catch (error) {
        log.warn("backup", "cannot watch folder; relying on periodic scans", { dir, error: errorText(error) });
      }
    }
  };

  const tick = async () => {
    attach();
    const watching = watchers.size === options.dirs.filter((dir) => existsSync(dir)).length;
    const due = dirty || !watching || Date.now() - lastRun >= options.rescanMs;
    if (due && !stopped) {
      const reason = dirty ? "change" : "scan";
      dirty = false; // before the run: a change during it is picked up by the next tick
      lastRun = Date.now();
      await options.run(reason);
    }
    if (!stopped) timer = setTimeout(() => void tick(), options.intervalMs);
  };

  attach();
  timer = setTimeout(() => void tick(), options.intervalMs);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

/**
 * Events that cannot change a snapshot: in our temp files, or in what the root's backup
 * leaves out (`filename` is relative to the watched root, like the scan's paths).
 */
export function isIgnoredEvent(root: { name: string | undefined; dir: string }, filename: string): boolean {
  return isExcludedPath(root.name, filename);
}

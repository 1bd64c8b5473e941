/**
 * When to back up. A backup is triggered by the changes themselves: a watch on every folder
 * (tree-watch.ts; inotify on Linux) reports them, and the first change not yet in a backup starts a countdown.
 * The backup starts once the state has been quiet for `quietMs` (a burst of writes makes one
 * backup), at the latest `maxWaitMs` after that first change (a file written without pause
 * is still saved), and never sooner than `intervalMs` after the previous backup ended. The
 * gap is counted from the end, not the start: a busy agent then cannot keep the supervisor
 * backing up without pause even when one backup takes longer than the gap (a large changed
 * file, a slow R2). The loss window on a crash is about `maxWaitMs` plus one backup, not
 * upstream's 30 s.
 *
 * Watchers can miss events (queue overflow, filesystems without inotify), so the timer stays
 * as a backstop: a full scan every `rescanMs`, and every `intervalMs` while a folder that
 * exists has no working watcher. A folder that does not exist yet is looked for every
 * `intervalMs`; when it appears, what it already holds counts as a change.
 *
 * Nothing else wakes the supervisor: with nothing changing, its only timers are the rescan's
 * and, while a folder does not exist, the look for it (a few stat calls), so an idle container
 * costs almost no CPU.
 */
import { existsSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { BackupResult } from "./backup.ts";
import type { BackupRoot } from "./env.ts";
import { errorText, type Logger } from "./log.ts";
import { isExcludedPath } from "./scan.ts";
import { SQLITE_SIDECARS } from "./sqlite-copy.ts";
import { type TreeWatcher, watchTree } from "./tree-watch.ts";

export interface BackupLoopOptions {
  dirs: readonly string[];
  /** The roots behind `dirs`, so events in what a root's backup leaves out are ignored; without them only our temp files are. */
  roots?: readonly BackupRoot[];
  /** A change is backed up once nothing else has changed for this long. */
  quietMs: number;
  /** …or this long after the first change not yet backed up, if changes keep coming. */
  maxWaitMs: number;
  /** At least this long from the end of a backup to the start of the next; also how often a folder without a watcher is scanned. */
  intervalMs: number;
  /** A full scan at least this often, changes or not: the backstop for events a watcher missed. */
  rescanMs: number;
  run: (reason: string) => Promise<BackupResult>;
  log: Logger;
  /**
   * No backup starts before this settles (changes seen meanwhile are backed up right after).
   * The supervisor holds backups until the gateway first answers /readyz: OpenClaw's start-up
   * migrations and its state lease fail hard on a database another process is reading (exit 78,
   * "startup migrations did not complete cleanly"; "state lease heartbeat exited: unable to open
   * database file"), and until then nothing but OpenClaw's own, re-derivable start-up writes exists.
   */
  holdUntil?: Promise<unknown>;
}

export interface BackupLoop {
  stop(): void;
}

export function startBackupLoop(options: BackupLoopOptions): BackupLoop {
  const { log } = options;
  // Monotonic: a wall clock stepped back (NTP) would otherwise hold backups until it caught up.
  const now = () => performance.now();
  const watchers = new Map<string, TreeWatcher>();
  /** Folders that exist but could not be watched, already warned about. */
  const unwatchable = new Set<string>();
  /** Folders that did not exist at the last look: when one appears, its contents are a change. */
  const missing = new Set(options.dirs.filter((dir) => !existsSync(dir)));
  const sidecars = new SidecarStats();
  let stopped = false;
  let running = false;
  /** When the first change not yet in a backup was seen; null: nothing unsaved that the watchers know of. */
  let firstChange: number | null = null;
  let lastChange = 0;
  /** When the last backup ended. The state has just been restored (it matches a snapshot): the loop's start counts as one. */
  let lastEnd = now();
  /** Backups in a row that failed (R2 unreachable after its retries): each doubles the gap before the next try. */
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  /** When `timer` fires; Infinity without one. */
  let timerAt = Number.POSITIVE_INFINITY;
  let held = options.holdUntil !== undefined;

  /** The pause after a backup: the interval, doubled for each failed backup in a row, at most the rescan's period. */
  const gap = () => Math.min(options.intervalMs * 2 ** failures, Math.max(options.intervalMs, options.rescanMs));

  /** When the unsaved changes are due: quiet after the last, at most maxWait after the first, not before the gap since the last backup. */
  const changeDue = () =>
    firstChange === null ? Number.POSITIVE_INFINITY : Math.max(lastEnd + gap(), Math.min(lastChange + options.quietMs, firstChange + options.maxWaitMs));

  const changed = () => {
    const at = now();
    lastChange = at;
    firstChange ??= at;
    // Cheap on purpose, as it runs for every event: a later change only moves the deadline later,
    // so an existing timer that fires no later than the deadline just recomputes it then. A
    // running backup schedules the next one when it ends.
    if (!running && !stopped && !held && changeDue() < timerAt) schedule(blindFolders());
  };

  /** Watches the folders that have no watcher yet; returns whether an existing folder is still without one. */
  const attach = (): boolean => {
    let blind = false;
    for (const dir of options.dirs) {
      if (watchers.has(dir)) continue;
      if (!existsSync(dir)) {
        missing.add(dir);
        continue;
      }
      const root = options.roots?.find((root) => root.dir === dir) ?? { name: undefined, dir };
      // Other roots inside this one (the workspace in ~/.openclaw) have watches of their own.
      const nested = options.dirs.filter((other) => other.startsWith(`${dir}/`)).map((other) => relative(dir, other));
      try {
        const watcher = watchTree(dir, {
          ignore: (path) => isIgnoredEvent(root, path) || nested.includes(path),
          onChange: (path) => {
            if (!sidecars.unchanged(join(dir, path))) changed();
          },
          onError: (error) => {
            log.warn("backup", "file watcher failed; relying on periodic scans for this folder", { dir, error: errorText(error) });
            watchers.delete(dir);
            // What happened since the last event is unknown.
            changed();
          },
        });
        watchers.set(dir, watcher);
        unwatchable.delete(dir);
        // Files written before the watcher existed have no event.
        if (missing.delete(dir)) changed();
      } catch (error) {
        blind = true;
        // Tried again at every wake-up (each interval): said once, not every half second.
        if (!unwatchable.has(dir)) log.warn("backup", "cannot watch folder; relying on periodic scans", { dir, error: errorText(error) });
        unwatchable.add(dir);
      }
    }
    return blind;
  };

  /** Whether an existing folder has no watcher (without trying to watch it again). */
  const blindFolders = () => options.dirs.some((dir) => !watchers.has(dir) && !missing.has(dir));

  const schedule = (blind: boolean) => {
    clearTimeout(timer);
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    if (stopped || running || held) return;
    const at = Math.min(
      changeDue(),
      lastEnd + options.rescanMs,
      // Without a watcher, a scan every interval is the only way to notice a change.
      blind ? lastEnd + gap() : Number.POSITIVE_INFINITY,
      missing.size ? now() + options.intervalMs : Number.POSITIVE_INFINITY,
    );
    timerAt = at;
    // At least 1 ms: a timer may fire a little before `at` by this clock, and then just waits the rest.
    timer = setTimeout(wake, Math.max(1, Math.ceil(at - now())));
  };

  const wake = () => {
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    if (stopped || running) return;
    const blind = attach();
    const at = now();
    let reason: string | null = null;
    if (changeDue() <= at) reason = "change";
    else if (at - lastEnd >= options.rescanMs || (blind && at - lastEnd >= gap())) reason = "scan";
    if (reason === null) {
      schedule(blind);
      return;
    }
    running = true;
    // Cleared before the run: a change during it is a new unsaved change, backed up after it.
    const unsavedSince = firstChange;
    firstChange = null;
    options
      .run(reason)
      .then(
        (result) => result.ok,
        (error: unknown) => {
          log.error("backup", "backup run failed", { reason, error: errorText(error) });
          return false;
        },
      )
      .then((ok) => {
        running = false;
        lastEnd = now();
        failures = ok ? 0 : failures + 1;
        // A failed backup saved nothing: what it was for is still unsaved, and is tried again
        // after the (growing) gap even if nothing else changes, not only at the next rescan.
        if (!ok) {
          firstChange = Math.min(firstChange ?? lastEnd, unsavedSince ?? lastEnd);
          lastChange = Math.max(lastChange, firstChange);
        }
        wake();
      });
  };

  attach();
  schedule(blindFolders());
  const release = () => {
    held = false;
    schedule(blindFolders());
  };
  options.holdUntil?.then(release, release);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

/**
 * The size and modification time of the SQLite sidecars (`-wal`, `-shm`, `-journal`) seen in
 * events, to ignore events that changed neither. The backup's own read of a WAL database
 * causes such an event: SQLite running as root (the supervisor does) fchowns the -wal and
 * -shm it opens to the database's owner, even read-only, which changes their ctime only.
 * Counted as a change, every backup would trigger the next one, forever, on an idle state.
 * A write by the gateway changes the -wal's size or modification time and still counts; a
 * metadata-only change of a file that merely ends like a sidecar waits for the rescan.
 */
class SidecarStats {
  readonly #seen = new Map<string, string>();

  /** Whether `path` is a sidecar whose size and modification time are those of its last event. */
  unchanged(path: string): boolean {
    if (!SQLITE_SIDECARS.some((suffix) => path.endsWith(suffix))) return false;
    let key: string;
    try {
      const stat = statSync(path);
      key = `${stat.size}:${stat.mtimeMs}`;
    } catch {
      // Gone (a checkpoint ended the WAL): a change, and nothing to remember.
      this.#seen.delete(path);
      return false;
    }
    if (this.#seen.get(path) === key) return true;
    this.#seen.set(path, key);
    return false;
  }
}

/**
 * Events that cannot change a snapshot: in our temp files, or in what the root's backup
 * leaves out (`filename` is relative to the watched root, like the scan's paths).
 */
export function isIgnoredEvent(root: { name: string | undefined; dir: string }, filename: string): boolean {
  return isExcludedPath(root.name, filename);
}

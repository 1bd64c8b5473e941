/**
 * The backup loop's timing, against real file-system events in a temp folder and a fake
 * `run` that records when it was called. Time is vitest's fake clock (timers and
 * performance.now), so every assertion is about which backups ran at which instant of that
 * clock, never about how long something took on this machine.
 *
 * fs.watch events arrive asynchronously, on their own schedule. `settle` waits until the
 * loop has been handed every event caused so far: it creates a marker folder (named so that
 * the loop ignores it) and waits for a watcher of its own to report it. All fs.watch handles of a process read one inotify
 * queue, in order, so once the marker is reported every earlier event has been delivered.
 */
import { watch } from "node:fs";
import { appendFile, chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { BackupResult } from "./backup.ts";
import { type BackupLoop, type BackupLoopOptions, startBackupLoop } from "./backup-loop.ts";
import { createLogger } from "./log.ts";
import { removeDirs, tempDir } from "./testing/harness.ts";

/** Fake milliseconds. The gap is longer than the longest wait, so each rule can be told apart. */
const QUIET = 100;
const MAX_WAIT = 300;
const INTERVAL = 500;
const RESCAN = 3_600_000;

const dirs: string[] = [];
const loops: BackupLoop[] = [];
let markers = 0;

beforeEach(() => {
  // setImmediate stays real: `settle` uses it to let the event loop deliver what it has read.
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance", "Date"] });
});
afterEach(async () => {
  for (const loop of loops.splice(0)) loop.stop();
  vi.useRealTimers();
  await removeDirs(dirs);
});

interface Started {
  dir: string;
  loop: BackupLoop;
  /** Reasons of the runs so far, with the fake time each started at. */
  runs: { reason: string; at: number }[];
  /** Ends the runs that are still going (only with `hold`). */
  release(): void;
}

/** A loop over a fresh temp folder (and `extraDirs`); with `hold`, each run lasts until `release()`. */
async function start(options: { hold?: boolean; extraDirs?: string[]; failFirst?: number; holdUntil?: Promise<unknown> } = {}): Promise<Started> {
  const dir = await tempDir("loop");
  dirs.push(dir);
  const runs: Started["runs"] = [];
  const pending: (() => void)[] = [];
  const run: BackupLoopOptions["run"] = (reason) => {
    runs.push({ reason, at: Date.now() });
    const ok = runs.length > (options.failFirst ?? 0);
    const result: BackupResult = { ok, id: null, changed: ok, reason, at: new Date().toISOString(), durationMs: 0, ...(ok ? {} : { error: "R2 unreachable" }) };
    return options.hold ? new Promise((resolve) => pending.push(() => resolve(result))) : Promise.resolve(result);
  };
  const loop = startBackupLoop({
    dirs: [dir, ...(options.extraDirs ?? [])],
    quietMs: QUIET,
    maxWaitMs: MAX_WAIT,
    intervalMs: INTERVAL,
    rescanMs: RESCAN,
    run,
    log: createLogger({ secrets: [], write: () => undefined }),
    ...(options.holdUntil ? { holdUntil: options.holdUntil } : {}),
  });
  loops.push(loop);
  const release = () => {
    for (const end of pending.splice(0)) end();
  };
  return { dir, loop, runs, release };
}

/** Returns once the loop has been handed every event caused so far in `dir` (see the file's comment). */
async function settle(dir: string): Promise<void> {
  // Named like our own temp files, which the loop ignores: the marker itself is no change.
  const name = `.moltlab-settle-${++markers}`;
  const watcher = watch(dir);
  try {
    const seen = new Promise<void>((resolve) => watcher.on("change", (_event, filename) => filename?.toString() === name && resolve()));
    await mkdir(join(dir, name));
    await seen;
  } finally {
    watcher.close();
  }
  // The rest of the batch that carried the marker is delivered in the same turn of the event loop.
  await new Promise((resolve) => setImmediate(resolve));
}

/** Writes a file in `dir` and waits until the loop has seen it. */
async function change(dir: string, name: string): Promise<void> {
  await writeFile(join(dir, name), `${name} at ${Date.now()}\n`);
  await settle(dir);
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
const times = (runs: Started["runs"]) => runs.map((run) => run.at);

describe("change-triggered backups", () => {
  it("starts no backup while held (the gateway starting), then backs up what changed meanwhile at once", async () => {
    let ready!: () => void;
    const { dir, runs } = await start({ holdUntil: new Promise<void>((resolve) => (ready = resolve)) });
    const t0 = Date.now();
    await change(dir, "migrated.db");
    // Past every deadline: quiet, longest wait, gap, even the rescan.
    await advance(RESCAN + INTERVAL);
    expect(runs).toEqual([]);
    ready();
    await advance(1);
    expect(runs).toEqual([{ reason: "change", at: t0 + RESCAN + INTERVAL + 1 }]);
  });

  it("is released by a gateway that exits before it was ready, too", async () => {
    let failed!: (error: Error) => void;
    const { dir, runs } = await start({ holdUntil: new Promise<void>((_resolve, reject) => (failed = reject)) });
    await change(dir, "half-written.md");
    await advance(INTERVAL + MAX_WAIT);
    expect(runs).toEqual([]);
    failed(new Error("exited"));
    await advance(1);
    expect(runs.map((run) => run.reason)).toEqual(["change"]);
  });

  it("backs up a change once the state has been quiet, without waiting for a tick", async () => {
    const { dir, runs } = await start();
    const t0 = Date.now();
    await advance(INTERVAL + 100); // past the gap since the start: only the quiet period is left
    expect(runs).toEqual([]);
    await change(dir, "note.md");
    await advance(QUIET - 1);
    expect(runs).toEqual([]);
    await advance(1);
    expect(runs).toEqual([{ reason: "change", at: t0 + INTERVAL + 100 + QUIET }]);
  });

  it("backs up a file written without pause at most the longest wait after its first change", async () => {
    const { dir, runs } = await start();
    const t0 = Date.now();
    await advance(INTERVAL + 100);
    // A write every half quiet period: never quiet, so only the longest wait can start the backup.
    for (let elapsed = 0; elapsed < MAX_WAIT; elapsed += QUIET / 2) {
      await change(dir, "log.md");
      expect(runs).toEqual([]);
      await advance(QUIET / 2);
    }
    expect(runs).toEqual([{ reason: "change", at: t0 + INTERVAL + 100 + MAX_WAIT }]);
  });

  it("makes one backup of a burst of changes, a quiet period after its last change", async () => {
    const { dir, runs } = await start();
    const t0 = Date.now();
    await advance(INTERVAL + 100);
    for (const name of ["a.md", "b.md", "c.md", "d.md"]) {
      await change(dir, name);
      await advance(QUIET - 40);
    }
    // The last change was QUIET - 40 ago.
    await advance(39);
    expect(runs).toEqual([]);
    await advance(1);
    const at = t0 + INTERVAL + 100 + 4 * (QUIET - 40) + 40;
    expect(runs).toEqual([{ reason: "change", at }]);
    // Nothing changed since: no second backup, however long it stays quiet (short of the rescan).
    await advance(10 * INTERVAL);
    expect(runs).toHaveLength(1);
  });

  it("backs up again after a running backup when something changed during it", async () => {
    const { dir, runs, release } = await start({ hold: true });
    await advance(INTERVAL + 100);
    await change(dir, "first.md");
    await advance(QUIET);
    expect(runs.map((run) => run.reason)).toEqual(["change"]);
    // Written while the backup runs: the backup may or may not have read it.
    await change(dir, "during.md");
    await advance(10 * INTERVAL);
    expect(runs).toHaveLength(1); // one backup at a time
    release();
    const ended = Date.now();
    await advance(INTERVAL - 1);
    expect(runs).toHaveLength(1);
    await advance(1);
    expect(runs.at(-1)).toEqual({ reason: "change", at: ended + INTERVAL });
    release();
    // That change is saved now: nothing more to do.
    await advance(10 * INTERVAL);
    expect(runs).toHaveLength(2);
  });

  it("keeps the gap between backups however often the state changes", async () => {
    const { dir, runs } = await start();
    const t0 = Date.now();
    await advance(INTERVAL + 100);
    // A write every 50 ms for 2 s: the longest wait alone would start a backup every 300 ms.
    for (let elapsed = 0; elapsed < 2000; elapsed += 50) {
      await change(dir, "busy.md");
      await advance(50);
    }
    const first = t0 + INTERVAL + 100 + MAX_WAIT;
    expect(times(runs)).toEqual([first, first + INTERVAL, first + 2 * INTERVAL, first + 3 * INTERVAL]);
  });

  it("watches a folder that appears later and backs up what it already holds", async () => {
    const parent = await tempDir("loop-later");
    dirs.push(parent);
    const later = join(parent, "later");
    const { runs } = await start({ extraDirs: [later] });
    const t0 = Date.now();
    await advance(INTERVAL + 100);
    // Created and written with no watcher on it: no event will ever say so.
    await mkdir(later);
    await writeFile(join(later, "key.json"), "{}");
    await advance(INTERVAL);
    // Looked for every interval: found at 2 × INTERVAL, backed up a quiet period later.
    expect(times(runs)).toEqual([t0 + 2 * INTERVAL + QUIET]);
    // From now on its own events count.
    await change(later, "more.json");
    await advance(INTERVAL);
    expect(runs).toHaveLength(2);
  });

  it("tries a failed backup again after a gap that doubles with each failure, without a new change", async () => {
    const { dir, runs } = await start({ failFirst: 3 });
    const t0 = Date.now();
    await advance(INTERVAL + 100);
    await change(dir, "note.md");
    await advance(10 * INTERVAL);
    const first = t0 + INTERVAL + 100 + QUIET;
    // Failed at `first`, tried again 2 and then 4 intervals later, failed both times.
    expect(times(runs)).toEqual([first, first + 2 * INTERVAL, first + 6 * INTERVAL]);
    // 8 intervals after that it succeeds: nothing more to do.
    await advance(20 * INTERVAL);
    expect(times(runs)).toEqual([first, first + 2 * INTERVAL, first + 6 * INTERVAL, first + 14 * INTERVAL]);
  });

  it("sees writes in place to a file an atomic replace put there, and in folders made after the start", async () => {
    const handles = () => process.getActiveResourcesInfo().filter((name) => name === "FSEventWrap").length;
    const { dir, runs } = await start();
    const watchesAtStart = handles();
    await advance(INTERVAL + 100);
    const session = join(dir, "session.jsonl");
    await writeFile(session, "line 1\n");
    await settle(dir);
    await advance(INTERVAL);
    expect(runs).toHaveLength(1);
    // Replaced atomically, as careful writers do: a temp file renamed over it.
    await writeFile(`${session}.tmp`, "line 1, edited\n");
    await rename(`${session}.tmp`, session);
    await settle(dir);
    await advance(INTERVAL);
    expect(runs).toHaveLength(2);
    // Then appended to in place: Node's recursive fs.watch still watches the replaced inode and misses this.
    await appendFile(session, "line 2\n");
    await settle(dir);
    await advance(INTERVAL);
    expect(runs).toHaveLength(3);
    // Folders made after the start, and a file in one of them written later.
    await mkdir(join(dir, "memory", "2026"), { recursive: true });
    await settle(dir);
    await advance(INTERVAL);
    expect(runs).toHaveLength(4);
    await appendFile(join(dir, "memory", "2026", "notes.md"), "later\n");
    await settle(dir);
    await advance(INTERVAL);
    expect(runs).toHaveLength(5);
    // Removed: a change, and their watches go with them.
    await rm(join(dir, "memory"), { recursive: true });
    await settle(dir);
    await advance(INTERVAL);
    expect(runs).toHaveLength(6);
    expect(handles()).toBe(watchesAtStart);
  });

  it("ignores an event on a SQLite sidecar that changed neither its size nor its time, as the backup's own read causes", async () => {
    const { dir, runs } = await start();
    const wal = join(dir, "agent.sqlite-wal");
    await advance(INTERVAL + 100);
    await writeFile(wal, "");
    await settle(dir);
    // Watched on its own now: this write's event comes after it, with its size and time.
    await appendFile(wal, "frame 1");
    await settle(dir);
    await advance(QUIET);
    expect(runs).toHaveLength(1);
    // What SQLite's fchown to the same owner does (as root, on every open): the ctime changes, nothing else.
    await chmod(wal, 0o644);
    await settle(dir);
    await advance(10 * INTERVAL);
    expect(runs).toHaveLength(1);
    // The gateway's next write changes it: that is a change.
    await appendFile(wal, ", frame 2");
    await settle(dir);
    await advance(QUIET);
    expect(runs).toHaveLength(2);
  });

  it("stop() ends it: no backup afterwards, no timer and no watcher left, even with a backup running", async () => {
    const handles = () => process.getActiveResourcesInfo().filter((name) => name === "FSEventWrap").length;
    const before = handles();
    const { dir, loop, runs, release } = await start({ hold: true });
    expect(handles()).toBeGreaterThan(before);
    await advance(INTERVAL + 100);
    await change(dir, "first.md");
    await advance(QUIET);
    expect(runs).toHaveLength(1);
    await change(dir, "during.md");
    loop.stop();
    release();
    await advance(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(handles()).toBe(before);
    await writeFile(join(dir, "after.md"), "after stop");
    await advance(RESCAN + INTERVAL);
    expect(runs).toHaveLength(1);
  });
});

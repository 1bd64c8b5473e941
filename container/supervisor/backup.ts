/**
 * One backup = scan every root, upload the contents R2 does not have yet, then write the
 * manifest, then the pointer. Backups run one at a time; a request while one runs is served
 * by the next run (so "backup now" always covers writes made before the request).
 * A failed upload leaves no manifest: the previous snapshot stays the newest complete one.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { BackupRoot } from "./env.ts";
import { errorText, type Logger } from "./log.ts";
import { forEachLimited } from "./parallel.ts";
import { isGone, scanRoot, type LocalEntry } from "./scan.ts";
import { fileEntries, MANIFEST_FORMAT, newSnapshotId, parseManifest, sameRoots, SnapshotKeys, type Entry, type Manifest } from "./snapshot.ts";
import { copySqliteDatabase, isSqliteDatabase } from "./sqlite-copy.ts";
import type { Bucket } from "./storage.ts";

/** Files up to this size are read into memory, hashed and uploaded from that one buffer. */
const IN_MEMORY_LIMIT = 4 * 1024 * 1024;
const PARALLEL_FILES = 8;
/** Old snapshots are pruned every this many new ones, not after each (pruning lists the bucket). */
const PRUNE_EVERY = 10;

export interface BackupResult {
  ok: boolean;
  /** The newest snapshot after this run (unchanged data: the previous one). */
  id: string | null;
  changed: boolean;
  reason: string;
  at: string;
  durationMs: number;
  files?: number;
  uploaded?: number;
  error?: string;
}

export interface KnownFile {
  statKey: string;
  sha256: string;
  /** Size of the uploaded content: for a database, its online-backup copy, not the live file. */
  size: number;
}

export interface BackupOptions {
  roots: readonly BackupRoot[];
  bucket: Bucket;
  log: Logger;
  stagingDir: string;
  maxFileBytes: number;
  keep: number;
}

export class Backup {
  readonly #options: BackupOptions;
  readonly #keys: SnapshotKeys;
  /** Absolute path → what we hashed for it, so unchanged files are not read again. */
  readonly #known = new Map<string, KnownFile>();
  /** Contents that are in the bucket already. */
  #uploaded = new Set<string>();
  #last: Manifest | null = null;
  #sincePrune = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #queued: Promise<BackupResult> | null = null;
  #lastResult: BackupResult | null = null;
  readonly #warnedTooLarge = new Set<string>();

  constructor(options: BackupOptions) {
    this.#options = options;
    this.#keys = new SnapshotKeys(options.bucket.prefix);
  }

  get lastResult(): BackupResult | null {
    return this.#lastResult;
  }

  /** Starts from what the restore wrote: those files and contents need no new upload. */
  seed(manifest: Manifest | null, files: ReadonlyMap<string, KnownFile>): void {
    this.#last = manifest;
    this.#uploaded = new Set(manifest ? fileEntries(manifest).map((file) => file.sha256) : []);
    for (const [abs, known] of files) this.#known.set(abs, known);
  }

  /** Runs a backup after the current one (if any); concurrent callers share the queued run. */
  run(reason: string): Promise<BackupResult> {
    if (this.#queued) return this.#queued;
    const queued = this.#tail.then(() => {
      this.#queued = null;
      return this.#once(reason);
    });
    this.#queued = queued;
    this.#tail = queued.catch(() => undefined);
    return queued;
  }

  async #once(reason: string): Promise<BackupResult> {
    const started = Date.now();
    const { log } = this.#options;
    const work = join(this.#options.stagingDir, `backup-${process.pid}-${started}`);
    let result: BackupResult;
    try {
      await mkdir(work, { recursive: true });
      result = { ...(await this.#snapshot(work, reason)), reason, at: new Date().toISOString(), durationMs: Date.now() - started };
      if (result.changed) log.info("backup", "backup written", { ...result });
      else log.debug("backup", "nothing changed", { id: result.id, reason });
    } catch (error) {
      result = { ok: false, id: this.#last?.id ?? null, changed: false, reason, at: new Date().toISOString(), durationMs: Date.now() - started, error: errorText(error) };
      log.error("backup", "backup failed; local files are untouched and the previous snapshot stays the newest", { ...result });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    this.#lastResult = result;
    return result;
  }

  async #snapshot(work: string, reason: string): Promise<Omit<BackupResult, "reason" | "at" | "durationMs">> {
    const { roots, maxFileBytes, bucket, log } = this.#options;
    const manifestRoots: Manifest["roots"] = {};
    let uploaded = 0;
    let files = 0;
    for (const root of roots) {
      const nested = roots.filter((other) => other !== root && other.dir.startsWith(root.dir + "/")).map((other) => other.dir);
      const scan = await scanRoot(root.dir, nested, maxFileBytes, { rootName: root.name });
      for (const abs of scan.tooLarge) {
        if (this.#warnedTooLarge.has(abs)) continue;
        this.#warnedTooLarge.add(abs);
        log.warn("backup", "file skipped: larger than MOLTLAB_BACKUP_MAX_FILE_MB", { file: abs });
      }
      const entries: (Entry | null)[] = [];
      await forEachLimited(scan.entries, PARALLEL_FILES, async (entry, index) => {
        entries[index] = await this.#entryFor(entry, work, () => uploaded++);
      });
      manifestRoots[root.name] = entries.filter((entry): entry is Entry => entry !== null);
      files += manifestRoots[root.name]!.filter((entry) => entry.type === "file").length;
    }
    if (this.#last && sameRoots(this.#last.roots, manifestRoots)) return { ok: true, id: this.#last.id, changed: false, files, uploaded };

    const manifest: Manifest = { format: MANIFEST_FORMAT, id: newSnapshotId(), createdAt: new Date().toISOString(), roots: manifestRoots };
    await bucket.put(this.#keys.snapshot(manifest.id), Buffer.from(JSON.stringify(manifest)), "application/json");
    this.#last = manifest;
    // The pointer is for readers that want the latest status in one GET (the Worker's storage
    // page); restores list the manifests instead, so a failed pointer write loses nothing.
    const pointer = { id: manifest.id, createdAt: manifest.createdAt, files, reason };
    await bucket.put(this.#keys.latest, Buffer.from(JSON.stringify(pointer)), "application/json").catch((error: unknown) => {
      log.warn("backup", "could not update the latest-snapshot pointer", { error: errorText(error) });
    });
    if (++this.#sincePrune >= PRUNE_EVERY) {
      this.#sincePrune = 0;
      await this.prune().catch((error: unknown) => log.warn("backup", "pruning old snapshots failed; will try again later", { error: errorText(error) }));
    }
    return { ok: true, id: manifest.id, changed: true, files, uploaded };
  }

  /** The manifest entry for one local entry, uploading its content when R2 lacks it. */
  async #entryFor(entry: LocalEntry, work: string, countUpload: () => void): Promise<Entry | null> {
    if (entry.type === "dir") return { path: entry.path, type: "dir", mode: entry.mode };
    if (entry.type === "symlink") return { path: entry.path, type: "symlink", target: entry.target! };
    const known = this.#known.get(entry.abs);
    if (known && known.statKey === entry.statKey && this.#uploaded.has(known.sha256)) {
      return { path: entry.path, type: "file", sha256: known.sha256, size: known.size, mode: entry.mode };
    }
    try {
      const content = await this.#readConsistent(entry, work);
      const sha256 = content.buffer ? createHash("sha256").update(content.buffer).digest("hex") : await hashFile(content.path!);
      if (!this.#uploaded.has(sha256)) {
        await this.#options.bucket.put(this.#keys.object(sha256), content.buffer ?? { path: content.path!, size: content.size });
        this.#uploaded.add(sha256);
        countUpload();
      }
      this.#known.set(entry.abs, { statKey: entry.statKey, sha256, size: content.size });
      return { path: entry.path, type: "file", sha256, size: content.size, mode: entry.mode };
    } catch (error) {
      // Deleted between the scan and the read: it is simply not part of this snapshot.
      if (isGone(error)) return null;
      throw error;
    }
  }

  /**
   * The bytes to hash and upload, read once so hash and upload agree even if the file
   * changes meanwhile: a database through the online backup API, a small file into memory,
   * a large one copied aside first.
   */
  async #readConsistent(entry: LocalEntry, work: string): Promise<{ buffer?: Buffer; path?: string; size: number }> {
    const aside = join(work, `${Math.random().toString(36).slice(2)}`);
    if (await isSqliteDatabase(entry.abs)) {
      await copySqliteDatabase(entry.abs, aside);
      const buffer = await readFile(aside);
      return { buffer, size: buffer.length };
    }
    if (entry.size <= IN_MEMORY_LIMIT) {
      const buffer = await readFile(entry.abs);
      return { buffer, size: buffer.length };
    }
    await copyFile(entry.abs, aside);
    return { path: aside, size: (await stat(aside)).size };
  }

  /**
   * Keeps the newest `keep` snapshots and deletes objects none of them names. If any kept
   * manifest cannot be read, nothing is deleted: we cannot tell what it still needs.
   */
  async prune(): Promise<void> {
    const { bucket, keep, log } = this.#options;
    const ids = (await bucket.list(this.#keys.snapshotsPrefix)).map((object) => this.#keys.idOf(object.key)).filter((id) => id !== undefined).sort();
    if (ids.length <= keep) return;
    const kept = ids.slice(-keep);
    const referenced = new Set<string>(this.#last ? fileEntries(this.#last).map((file) => file.sha256) : []);
    for (const id of kept) {
      const manifest = parseManifest(await bucket.getText(this.#keys.snapshot(id)), id);
      for (const file of fileEntries(manifest)) referenced.add(file.sha256);
    }
    const dropped = ids.slice(0, -keep);
    await bucket.deleteMany(dropped.map((id) => this.#keys.snapshot(id)));
    const unreferenced = (await bucket.list(this.#keys.objectsPrefix)).map((object) => object.key).filter((key) => !referenced.has(key.slice(key.lastIndexOf("/") + 1)));
    await bucket.deleteMany(unreferenced);
    // Contents we uploaded earlier may be gone now: only what the kept snapshots name is known to be there.
    this.#uploaded = new Set([...this.#uploaded].filter((sha) => referenced.has(sha)));
    log.info("backup", "pruned old snapshots", { snapshotsDeleted: dropped.length, objectsDeleted: unreferenced.length, kept: kept.length });
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

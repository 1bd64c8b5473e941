/**
 * One backup = scan every root, upload the contents R2 does not have yet (small files packed
 * together, see pack.ts), then write the manifest, then the pointer. Backups run one at a time; a request while one runs is served
 * by the next run (so "backup now" always covers writes made before the request).
 * A failed upload leaves no manifest: the previous snapshot stays the newest complete one.
 * A file that cannot be read (a database locked too long, a read error) does not fail the
 * backup: it is skipped and reported, its previous version (if any) stays in the snapshot,
 * and it is tried again on the next run.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { BackupRoot, Settings } from "./env.ts";
import { errorText, type Logger } from "./log.ts";
import { eventLoopTurns, forEachLimited } from "./parallel.ts";
import { isGone, scanRoot, type LocalEntry, type ScanResult } from "./scan.ts";
import { PACK_FILE_LIMIT, PACK_TARGET, PackWriter, type PackRef } from "./pack.ts";
import {
  fileEntries,
  locationOf,
  MANIFEST_FORMAT,
  nextSnapshotId,
  parseManifest,
  sameRoots,
  SnapshotKeys,
  storesContent,
  type ContentLocation,
  type Entry,
  type FileEntry,
  type Manifest,
  type PackInfo,
} from "./snapshot.ts";
import { readLocalFile, type LocalContent, type Reader } from "./local-read.ts";
import type { Bucket } from "./storage.ts";

const PARALLEL_FILES = 8;
/** Old snapshots are pruned every this many new ones, not after each (pruning lists the bucket). */
const PRUNE_EVERY = 10;
/**
 * Pruning never deletes a pack or object younger than this, named or not: another container
 * on the same bucket (the old one during a redeploy) may be uploading a snapshot whose
 * manifest is not written yet. Far longer than a backup takes, and than clocks drift apart.
 */
export const PRUNE_GRACE_MS = 60 * 60_000;
/**
 * When a pack stops paying for itself, its live files are packed again by the next backup:
 * under half of it still named (a restore would download mostly dead bytes), or one of more
 * than SMALL_PACKS_ALLOWED small packs (each change makes a small one; left alone, they would
 * bring back one request per file).
 */
const SMALL_PACK = PACK_TARGET / 4;
const SMALL_PACKS_ALLOWED = 4;
/** Skipped paths listed in a result (the /health and admin page payload); `skippedCount` has the total. */
export const MAX_REPORTED_SKIPS = 50;

/** A file this run could not read. */
export interface SkippedPath {
  root: string;
  path: string;
  reason: string;
  /** The snapshot keeps the version from the previous one, so a restore does not delete the file. */
  keptPrevious: boolean;
}

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
  /** Files that could not be read, sorted by root and path, at most MAX_REPORTED_SKIPS of them. */
  skipped?: SkippedPath[];
  skippedCount?: number;
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
  /** Unnamed packs and objects younger than this are never pruned (default PRUNE_GRACE_MS). */
  pruneGraceMs?: number;
  /** How long a database copy waits for another connection's lock (default 10 s). */
  sqliteTimeoutMs?: number;
  /**
   * The gateway's user, when the supervisor runs as another (root): only files this user
   * could read itself are backed up, others are skipped with the reason. Absent: no check.
   */
  reader?: Reader;
}

/**
 * The backup the supervisor's settings ask for: what main.ts runs, and what the backup bench
 * times on the same code path. With a gateway user it takes only what that user could read
 * itself (see local-read.ts).
 */
export function backupFromSettings(
  settings: Pick<Settings, "roots" | "stagingDir" | "maxFileBytes" | "backupKeep" | "gatewayUser">,
  bucket: Bucket,
  log: Logger,
): Backup {
  const user = settings.gatewayUser;
  return new Backup({
    roots: settings.roots,
    bucket,
    log,
    stagingDir: settings.stagingDir,
    maxFileBytes: settings.maxFileBytes,
    keep: settings.backupKeep,
    ...(user ? { reader: { uid: user.uid, gids: [user.gid] } } : {}),
  });
}

export class Backup {
  readonly #options: BackupOptions;
  readonly #keys: SnapshotKeys;
  /** Absolute path → what we hashed for it, so unchanged files are not read again. */
  readonly #known = new Map<string, KnownFile>();
  /** Contents that are in the bucket already (by SHA-256), and where. */
  #located = new Map<string, ContentLocation>();
  /** Sizes of the packs #located names. */
  readonly #packSizes = new Map<string, number>();
  #last: Manifest | null = null;
  #sincePrune = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #queued: Promise<BackupResult> | null = null;
  #lastResult: BackupResult | null = null;
  readonly #warnedTooLarge = new Set<string>();
  /** "root/path" of the files the last run could not read: warned once when they start failing. */
  #failing = new Set<string>();

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
    this.#located = new Map(
      manifest
        ? fileEntries(manifest)
            .filter(storesContent)
            .map((file) => [file.sha256, locationOf(file)])
        : [],
    );
    for (const [id, info] of Object.entries(manifest?.packs ?? {})) this.#packSizes.set(id, info.size);
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

  /**
   * What the newest snapshot lacks: local files whose content may differ from the snapshot's
   * (changed or new) and the snapshot's files that are gone locally, "root/path", the first
   * `limit`. For the final backup that could not finish: the log names what is not in R2.
   * Stat-based like a backup's scan (a file is unchanged if we hashed it for this entry).
   */
  async unsaved(limit = 20): Promise<{ paths: string[]; count: number }> {
    const unsaved: string[] = [];
    for (const root of this.#options.roots) {
      const saved = new Map((this.#last?.roots[root.name] ?? []).filter((entry) => entry.type === "file").map((entry) => [entry.path, entry.sha256]));
      const scan = await this.#scan(root);
      const local = new Set<string>();
      for (const entry of scan.entries) {
        if (entry.type !== "file") continue;
        local.add(entry.path);
        const known = this.#known.get(entry.abs);
        if (!known || known.statKey !== entry.statKey || saved.get(entry.path) !== known.sha256) unsaved.push(`${root.name}/${entry.path}`);
      }
      for (const path of saved.keys()) if (!local.has(path)) unsaved.push(`${root.name}/${path} (deleted)`);
    }
    return { paths: unsaved.slice(0, limit), count: unsaved.length };
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
      result = {
        ok: false,
        id: this.#last?.id ?? null,
        changed: false,
        reason,
        at: new Date().toISOString(),
        durationMs: Date.now() - started,
        error: errorText(error),
      };
      log.error("backup", "backup failed; local files are untouched and the previous snapshot stays the newest", { ...result });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    this.#lastResult = result;
    return result;
  }

  /** One root as a backup sees it: other roots nested in it left to themselves, our exclusions, the reader check. */
  #scan(root: BackupRoot): Promise<ScanResult> {
    const { roots, maxFileBytes, reader } = this.#options;
    const nested = roots.filter((other) => other !== root && other.dir.startsWith(`${root.dir}/`)).map((other) => other.dir);
    return scanRoot(root.dir, nested, maxFileBytes, { rootName: root.name, reader });
  }

  async #snapshot(work: string, reason: string): Promise<Omit<BackupResult, "reason" | "at" | "durationMs">> {
    const { roots, bucket, log } = this.#options;
    const manifestRoots: Manifest["roots"] = {};
    const skipped: SkippedPath[] = [];
    let uploaded = 0;
    let files = 0;
    const scans: ScanResult[] = [];
    for (const root of roots) scans.push(await this.#scan(root));
    const run: RunContext = {
      work,
      packs: new PackWriter(bucket, this.#keys),
      retired: this.#retiredContents(scans),
      pending: new Map(),
      refs: new Map(),
      countUpload: () => uploaded++,
    };
    for (const [index, root] of roots.entries()) {
      const scan = scans[index]!;
      for (const abs of scan.tooLarge) {
        if (this.#warnedTooLarge.has(abs)) continue;
        this.#warnedTooLarge.add(abs);
        log.warn("backup", "file skipped: larger than MOLTLAB_BACKUP_MAX_FILE_MB", { file: abs });
      }
      const previous = new Map((this.#last?.roots[root.name] ?? []).map((entry) => [entry.path, entry]));
      const entries: (Entry | null)[] = [];
      const rootSkips: SkippedPath[] = [];
      // Small files are read with synchronous calls (local-read.ts): the event loop gets its turns here.
      const turn = eventLoopTurns();
      await forEachLimited(scan.entries, PARALLEL_FILES, async (entry, index) => {
        await turn();
        const outcome = await this.#entryFor(entry, run);
        if (!(outcome instanceof Unreadable)) {
          entries[index] = outcome;
          return;
        }
        // Carried forward, a restore brings back the last version we could read instead of deleting the file.
        const kept = previous.get(entry.path);
        entries[index] = kept?.type === "file" ? kept : null;
        rootSkips.push({ root: root.name, path: entry.path, reason: outcome.message, keptPrevious: kept?.type === "file" });
      });
      const found = entries.filter((entry): entry is Entry => entry !== null);
      for (const { path, reason } of scan.unreadable) {
        const kept = carriedForward(previous, path, found);
        found.push(...kept);
        rootSkips.push({ root: root.name, path, reason, keptPrevious: kept.length > 0 });
      }
      manifestRoots[root.name] = scan.unreadable.length ? found.sort(byWalkOrder) : found;
      files += manifestRoots[root.name]!.filter((entry) => entry.type === "file").length;
      skipped.push(...rootSkips.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
    }
    // Every pack complete in the bucket before the manifest that names it.
    await run.packs.finish();
    for (const [entry, ref] of run.refs) {
      // A manifest naming an offset without its pack is refused by every restore: fail this run instead.
      if (ref.builder.id === undefined) throw new Error(`${entry.path}: its pack was never sealed, so the snapshot would name no pack for it`);
      entry.pack = ref.builder.id;
      entry.offset = ref.offset;
    }
    for (const [sha, ref] of run.pending) this.#located.set(sha, { pack: ref.builder.id!, offset: ref.offset });
    for (const [id, info] of run.packs.written) this.#packSizes.set(id, info.size);
    this.#logSkips(skipped, manifestRoots);
    const skips = { skipped: skipped.slice(0, MAX_REPORTED_SKIPS), skippedCount: skipped.length };
    if (this.#last && sameRoots(this.#last.roots, manifestRoots)) return { ok: true, id: this.#last.id, changed: false, files, uploaded, ...skips };

    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      id: nextSnapshotId(this.#last?.id ?? null),
      createdAt: new Date().toISOString(),
      packs: this.#packTable(manifestRoots),
      roots: manifestRoots,
    };
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
      await this.#prune().catch((error: unknown) => log.warn("backup", "pruning old snapshots failed; will try again later", { error: errorText(error) }));
    }
    return { ok: true, id: manifest.id, changed: true, files, uploaded, ...skips };
  }

  /** One warning per path when it starts failing (not every run), one line when it is backed up again. */
  #logSkips(skipped: readonly SkippedPath[], manifestRoots: Manifest["roots"]): void {
    const { log } = this.#options;
    const failing = new Set<string>();
    for (const skip of skipped) {
      const key = `${skip.root}/${skip.path}`;
      failing.add(key);
      if (this.#failing.has(key)) continue;
      const outcome = skip.keptPrevious ? "the snapshot keeps its previous version" : "it is left out of the snapshot";
      log.warn("backup", `cannot back up ${key}: ${skip.reason}; ${outcome} until it can be read (tried again every run)`, { ...skip });
    }
    for (const key of this.#failing) {
      if (failing.has(key)) continue;
      const [root, path] = [key.slice(0, key.indexOf("/")), key.slice(key.indexOf("/") + 1)];
      if (manifestRoots[root]?.some((entry) => entry.path === path)) log.info("backup", `${key} is backed up again`, { root, path });
    }
    this.#failing = failing;
  }

  /**
   * The manifest entry for one local entry, uploading its content when R2 lacks it; null when
   * it was deleted meanwhile, Unreadable when it could not be read. An upload that fails
   * still fails the whole backup: that is R2's problem, not this file's.
   */
  async #entryFor(entry: LocalEntry, run: RunContext): Promise<Entry | Unreadable | null> {
    if (entry.type === "dir") return { path: entry.path, type: "dir", mode: entry.mode };
    if (entry.type === "symlink") return { path: entry.path, type: "symlink", target: entry.target! };
    const known = this.#known.get(entry.abs);
    if (known && known.statKey === entry.statKey) {
      // An empty file needs no content in the bucket: its entry alone restores it. (Packed, one
      // alone in a run left a pack with no bytes, never sealed, and a manifest naming no pack.)
      if (known.size === 0) return emptyFile(entry.path, known.sha256, entry.mode);
      const reused = this.#reuse(known.sha256, { path: entry.path, type: "file", sha256: known.sha256, size: known.size, mode: entry.mode }, run);
      if (reused) return reused;
    }
    let content: LocalContent;
    try {
      content = await readLocalFile(entry.abs, {
        work: run.work,
        expectedPath: entry.real,
        reader: this.#options.reader,
        sqliteTimeoutMs: this.#options.sqliteTimeoutMs,
      });
    } catch (error) {
      // Deleted between the scan and the read: it is simply not part of this snapshot.
      if (isGone(error)) return null;
      // Not remembered in #known: the next run reads it again.
      return new Unreadable(errorText(error));
    }
    this.#known.set(entry.abs, { statKey: entry.statKey, sha256: content.sha256, size: content.size });
    if (content.size === 0) return emptyFile(entry.path, content.sha256, entry.mode);
    const file: FileEntry = { path: entry.path, type: "file", sha256: content.sha256, size: content.size, mode: entry.mode };
    const reused = this.#reuse(content.sha256, file, run);
    if (reused) return reused;
    if (content.buffer && content.size <= PACK_FILE_LIMIT) {
      const ref = run.packs.add(content.buffer);
      run.pending.set(content.sha256, ref);
      run.refs.set(file, ref);
      run.countUpload();
      await run.packs.flush();
      return file;
    } else {
      await this.#options.bucket.put(this.#keys.object(content.sha256), content.buffer ?? { path: content.path!, size: content.size });
      this.#located.set(content.sha256, "object");
    }
    run.countUpload();
    return file;
  }

  /**
   * The entry for a content already in the bucket (or in a pack of this run), or undefined
   * when it must be uploaded: never there, or in a pack or object this run retires.
   */
  #reuse(sha256: string, file: FileEntry, run: RunContext): FileEntry | undefined {
    const pending = run.pending.get(sha256);
    if (pending) {
      run.refs.set(file, pending);
      return file;
    }
    const location = this.#located.get(sha256);
    if (location === undefined || run.retired.has(sha256)) return undefined;
    return location === "object" ? file : { ...file, pack: location.pack, offset: location.offset };
  }

  /**
   * Contents whose place in the bucket no longer pays (see SMALL_PACK), judged on what this
   * run will name (the scan's unchanged files): files in a pack mostly dead or one of too many
   * small ones, and small files stored as their own object (a format-1 snapshot's). This run
   * packs them again from the local files.
   */
  #retiredContents(scans: readonly ScanResult[]): Set<string> {
    const unchanged = new Map<string, { location: ContentLocation; size: number }>();
    for (const entry of scans.flatMap((scan) => scan.entries)) {
      const known = entry.type === "file" ? this.#known.get(entry.abs) : undefined;
      const location = known?.statKey === entry.statKey ? this.#located.get(known.sha256) : undefined;
      if (known && location) unchanged.set(known.sha256, { location, size: known.size });
    }
    const live = new Map<string, number>();
    for (const { location, size } of unchanged.values()) if (location !== "object") live.set(location.pack, (live.get(location.pack) ?? 0) + size);
    const sizeOf = (pack: string) => this.#packSizes.get(pack) ?? 0;
    const small = [...live.keys()].filter((pack) => sizeOf(pack) < SMALL_PACK);
    const retiredPacks = new Set(small.length > SMALL_PACKS_ALLOWED ? small : []);
    for (const [pack, bytes] of live) if (bytes * 2 < sizeOf(pack)) retiredPacks.add(pack);
    const retired = new Set<string>();
    for (const [sha, { location, size }] of unchanged) {
      if (location === "object" ? size <= PACK_FILE_LIMIT : retiredPacks.has(location.pack)) retired.add(sha);
    }
    return retired;
  }

  /** The pack table of a manifest: every pack its files name, with its size. */
  #packTable(roots: Manifest["roots"]): Record<string, PackInfo> {
    const table: Record<string, PackInfo> = {};
    for (const entries of Object.values(roots)) {
      for (const entry of entries) {
        if (entry.type !== "file" || entry.pack === undefined || table[entry.pack]) continue;
        const size = this.#packSizes.get(entry.pack);
        if (size === undefined) throw new Error(`internal: the size of pack ${entry.pack} is unknown`);
        table[entry.pack] = { size };
      }
    }
    return table;
  }

  /**
   * Keeps the newest `keep` snapshots and deletes the packs and objects none of them names,
   * unless younger than the grace period (PRUNE_GRACE_MS). If any kept manifest cannot be
   * read, nothing is deleted: we cannot tell what it still needs. Runs in the backup queue,
   * so never while this supervisor's own backup is between its uploads and its manifest.
   */
  prune(): Promise<void> {
    const pruned = this.#tail.then(() => this.#prune());
    this.#tail = pruned.catch(() => undefined);
    return pruned;
  }

  async #prune(): Promise<void> {
    const { bucket, keep, log } = this.#options;
    const grace = this.#options.pruneGraceMs ?? PRUNE_GRACE_MS;
    const ids = (await bucket.list(this.#keys.snapshotsPrefix))
      .map((object) => this.#keys.idOf(object.key))
      .filter((id) => id !== undefined)
      .sort();
    if (ids.length <= keep) return;
    const kept = ids.slice(-keep);
    const referenced = new Set<string>(this.#last ? namedContent(this.#last) : []);
    for (const id of kept) {
      const manifest = parseManifest(await bucket.getText(this.#keys.snapshot(id)), id);
      for (const name of namedContent(manifest)) referenced.add(name);
    }
    const dropped = ids.slice(0, -keep);
    await bucket.deleteMany(dropped.map((id) => this.#keys.snapshot(id)));
    const cutoff = Date.now() - grace;
    const stored = [...(await bucket.list(this.#keys.objectsPrefix)), ...(await bucket.list(this.#keys.packsPrefix))];
    const unreferenced = stored
      .filter((object) => !referenced.has(object.key.slice(object.key.lastIndexOf("/") + 1)))
      .filter((object) => object.lastModified === undefined || object.lastModified.getTime() <= cutoff)
      .map((object) => object.key);
    await bucket.deleteMany(unreferenced);
    // Contents we uploaded earlier may be gone now: only what the kept snapshots name is known to be there.
    for (const [sha, location] of this.#located) {
      if (!referenced.has(location === "object" ? sha : location.pack)) this.#located.delete(sha);
    }
    log.info("backup", "pruned old snapshots", { snapshotsDeleted: dropped.length, objectsDeleted: unreferenced.length, kept: kept.length });
  }
}

/** What one backup run carries from file to file. */
interface RunContext {
  work: string;
  packs: PackWriter;
  /** Contents whose place in the bucket this run does not reuse (#retiredContents). */
  retired: ReadonlySet<string>;
  /** Contents packed by this run, by SHA-256. */
  pending: Map<string, PackRef>;
  /** This run's file entries whose pack id is known once the packs are sealed. */
  refs: Map<FileEntry, PackRef>;
  countUpload: () => void;
}

/** The pack ids and own-object SHA-256s a manifest names: what pruning must keep. */
function namedContent(manifest: Manifest): string[] {
  return fileEntries(manifest)
    .filter(storesContent)
    .map((file) => file.pack ?? file.sha256);
}

/** An empty file's entry: no pack, no object (storesContent). */
function emptyFile(path: string, sha256: string, mode: number): FileEntry {
  return { path, type: "file", sha256, size: 0, mode };
}

/**
 * The previous snapshot's entries at or below a path that could not be examined this run
 * (all of them for the root itself, ""), except those the scan found anyway (the folder's own entry).
 */
function carriedForward(previous: ReadonlyMap<string, Entry>, path: string, found: readonly Entry[]): Entry[] {
  const present = new Set(found.map((entry) => entry.path));
  return [...previous.values()].filter((entry) => !present.has(entry.path) && (path === "" || entry.path === path || entry.path.startsWith(`${path}/`)));
}

/** The scan's order: folder by folder, names sorted, so a folder comes right before what it holds. */
function byWalkOrder(a: Entry, b: Entry): number {
  const [x, y] = [a.path.split("/"), b.path.split("/")];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length - y.length;
}

/** Why a local file could not be read this run. */
class Unreadable {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

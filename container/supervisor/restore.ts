/**
 * Boot-time restore. Order of preference:
 * 1. the newest of our snapshots whose manifest parses and whose every object downloads with
 *    the right checksum; a bad one is logged and the previous one tried;
 * 2. with no snapshot at all, moltworker's plain folders (openclaw/ — or legacy clawdbot/ —,
 *    workspace/, skills/), so an existing moltworker bucket keeps working;
 * 3. an empty bucket: a fresh start.
 * Everything is downloaded and verified into a staging folder before the first local file is
 * touched, so a bad snapshot can never half-overwrite local state. R2 not answering is an
 * error, not an empty bucket: starting empty would make the next backup the newest snapshot.
 * The restore may run as root while the roots belong to the gateway's user, from a bucket
 * someone else may write: it never writes outside the roots (see safe-write.ts), and a
 * manifest that would need it to is refused before anything is touched.
 */
import { closeSync, createReadStream, openSync, readSync, type Stats } from "node:fs";
import { lstat, mkdir, rm, rmdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { KnownFile } from "./backup.ts";
import type { BackupRoot } from "./env.ts";
import { errorText, type Logger } from "./log.ts";
import { eventLoopTurns, forEachLimited } from "./parallel.ts";
import { PackVerifier, type PackedFile } from "./pack.ts";
import {
  copyFileSafely,
  createFileSafely,
  createFolder,
  createSymlink,
  realFolders,
  replaceFileSafely,
  setFolderMode,
  UnsafePathError,
  type FileOwner,
} from "./safe-write.ts";
import { fileStatKey, scanRoot, statKeyOf } from "./scan.ts";
import {
  fileEntries,
  isSafeRelativePath,
  parseManifest,
  SnapshotKeys,
  SnapshotProblem,
  storesContent,
  type Entry,
  type FileEntry,
  type Manifest,
} from "./snapshot.ts";
import { SQLITE_SIDECARS } from "./sqlite-copy.ts";
import { NotFoundError, WrongSizeError, type Bucket } from "./storage.ts";

const PARALLEL_DOWNLOADS = 8;
/**
 * Verified packs kept in memory for the apply, at most this many bytes (reserved before each
 * download, so also the most a restore buffers at once); the others are streamed to staging
 * and read back. A lite instance has 256 MiB; the gateway does not run during a restore.
 */
export const PACK_MEMORY_BYTES = 64 * 1024 * 1024;
/** Files replaced at once: each is a handful of metadata calls, which the thread pool runs side by side. */
const PARALLEL_REPLACES = 8;

export interface RestoreOutcome {
  source: "snapshot" | "moltworker" | "empty";
  id?: string;
  /** moltworker prefixes read (openclaw/, clawdbot/, workspace/, skills/). */
  prefixes?: string[];
  /** Newer snapshots that could not be used, with the reason. */
  skipped: { id: string; problem: string }[];
  files: number;
  manifest: Manifest | null;
  /** What was written, for the first backup to skip re-reading it. */
  known: Map<string, KnownFile>;
}

/** Restore cannot proceed safely; the supervisor must not start the gateway. */
export class RestoreError extends Error {
  override name = "RestoreError";
}

export interface RestoreOptions {
  roots: readonly BackupRoot[];
  bucket: Bucket;
  log: Logger;
  stagingDir: string;
  allowFreshStart: boolean;
  /** FileOwner of every file, folder and symlink the restore creates (the gateway's user, when the supervisor runs as root). */
  owner?: FileOwner;
  /** Packs held in memory, in bytes (default PACK_MEMORY_BYTES). */
  packMemoryBytes?: number;
}

export async function restore(options: RestoreOptions): Promise<RestoreOutcome> {
  const { bucket, log } = options;
  const keys = new SnapshotKeys(bucket.prefix);
  const staging = join(options.stagingDir, `restore-${process.pid}-${Date.now()}`);
  try {
    const ids = (await bucket.list(keys.snapshotsPrefix))
      .map((object) => keys.idOf(object.key))
      .filter((id) => id !== undefined)
      .sort()
      .reverse();
    const skipped: RestoreOutcome["skipped"] = [];
    for (const id of ids) {
      try {
        const outcome = await restoreSnapshot(id, keys, staging, options);
        if (skipped.length)
          log.warn("restore", `restored snapshot ${id}, the newest usable one: ${skipped.length} newer snapshot(s) could not be used`, { id, skipped });
        return { ...outcome, skipped };
      } catch (error) {
        if (!(error instanceof SnapshotProblem)) throw error;
        skipped.push({ id, problem: error.message });
        log.warn("restore", `snapshot ${id} is unusable (${error.message}); falling back to the previous one`, { id, problem: error.message });
        await rm(staging, { recursive: true, force: true });
      }
    }
    if (ids.length) {
      const message = `none of the ${ids.length} snapshot(s) in the bucket can be restored; refusing to start so no backup replaces them (inspect moltlab/snapshots/ in the bucket, or set MOLTLAB_ALLOW_FRESH_START=1 to start empty)`;
      if (!options.allowFreshStart) throw new RestoreError(message);
      log.error("restore", `${message} — starting empty because MOLTLAB_ALLOW_FRESH_START is set`, { skipped });
      return { source: "empty", skipped, files: 0, manifest: null, known: new Map() };
    }
    const legacy = await restoreMoltworkerLayout(staging, options);
    if (legacy) return legacy;
    log.info("restore", "the bucket holds no snapshot and no moltworker folders: fresh start", { bucket: bucket.name, prefix: bucket.prefix });
    return { source: "empty", skipped: [], files: 0, manifest: null, known: new Map() };
  } catch (error) {
    if (error instanceof RestoreError) throw error;
    throw new RestoreError(
      `R2 bucket ${bucket.name} at ${bucket.endpoint} could not be read (${errorText(error)}); refusing to start with empty state, which the next backup would make the newest snapshot`,
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function restoreSnapshot(id: string, keys: SnapshotKeys, staging: string, options: RestoreOptions): Promise<Omit<RestoreOutcome, "skipped">> {
  const { bucket, log } = options;
  let text: string;
  try {
    text = await bucket.getText(keys.snapshot(id));
  } catch (error) {
    if (error instanceof NotFoundError) throw new SnapshotProblem("manifest disappeared while restoring");
    throw error;
  }
  const manifest = parseManifest(text, id);
  const overlap = rootOverlapProblem(manifest, options.roots);
  if (overlap) throw new SnapshotProblem(overlap);
  const staged = await stageContents(manifest, keys, staging, bucket, options.packMemoryBytes ?? PACK_MEMORY_BYTES);
  const known = new Map<string, KnownFile>();
  let files = 0;
  try {
    for (const root of options.roots) {
      const entries = manifest.roots[root.name];
      if (!entries) continue;
      files += await applyRoot(root, entries, staged, options, known);
    }
  } finally {
    staged.close();
  }
  const unknownRoots = Object.keys(manifest.roots).filter((name) => !options.roots.some((root) => root.name === name));
  if (unknownRoots.length) log.warn("restore", "snapshot has roots this container does not back up; they were not restored", { roots: unknownRoots });
  log.info("restore", `restored snapshot ${id}`, { id, files, createdAt: manifest.createdAt });
  return { source: "snapshot", id, files, manifest, known };
}

/**
 * Downloads every pack and object the manifest names and checks them (a pack's size and each
 * file's slice, an object's SHA-256 and size) before anything local is touched. Packs are kept
 * in memory up to `memoryBytes`, the rest and the own objects in staging.
 */
async function stageContents(manifest: Manifest, keys: SnapshotKeys, staging: string, bucket: Bucket, memoryBytes: number): Promise<StagedContents> {
  const staged = new StagedContents(join(staging, "objects"), join(staging, "packs"));
  await mkdir(staged.objects, { recursive: true });
  await mkdir(staged.packs, { recursive: true });
  const packs = new Map<string, Map<string, PackedFile>>();
  const objects = new Map<string, FileEntry>();
  for (const file of fileEntries(manifest)) {
    if (!storesContent(file)) continue;
    if (file.pack === undefined) objects.set(file.sha256, file);
    else {
      // The same bytes named twice are checked once; anything else at the same offset is checked too.
      const slice = { path: file.path, sha256: file.sha256, size: file.size, offset: file.offset ?? 0 };
      const slices = packs.get(file.pack) ?? new Map<string, PackedFile>();
      slices.set(`${slice.offset} ${slice.size} ${slice.sha256}`, slice);
      packs.set(file.pack, slices);
    }
  }
  const missing = (what: string) => (error: unknown) => {
    throw error instanceof NotFoundError ? new SnapshotProblem(`${what} is missing`) : error;
  };
  let memoryLeft = memoryBytes;
  const downloads: (() => Promise<void>)[] = [
    ...[...packs].map(([id, slices]) => async () => {
      const info = manifest.packs![id]!;
      const verifier = new PackVerifier(id, info, [...slices.values()]);
      if (info.size <= memoryLeft) {
        memoryLeft -= info.size;
        const bytes = await bucket.getExactly(keys.pack(id), info.size).catch((error: unknown) => {
          if (!(error instanceof WrongSizeError)) return missing(`pack ${id}`)(error);
          const size = `${error.atLeast ? "at least " : ""}${error.size}`;
          throw new SnapshotProblem(`pack ${id} is ${size} bytes, the manifest says ${info.size} (truncated or replaced)`);
        });
        verifier.update(bytes);
        verifier.finish();
        staged.held.set(id, bytes);
        return;
      }
      const path = join(staged.packs, id);
      await bucket.download(keys.pack(id), path, { hash: false }).catch(missing(`pack ${id}`));
      for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) verifier.update(chunk as Buffer);
      verifier.finish();
    }),
    ...[...objects.values()].map((file) => async () => {
      const got = await bucket.download(keys.object(file.sha256), join(staged.objects, file.sha256)).catch(missing(`object ${file.sha256} (${file.path})`));
      if (got.sha256 !== file.sha256 || got.size !== file.size) throw new SnapshotProblem(`object ${file.sha256} (${file.path}) fails its checksum`);
    }),
  ];
  await forEachLimited(downloads, PARALLEL_DOWNLOADS, (download) => download());
  return staged;
}

/** Staged as its own object: neither packed nor empty (an empty file's bytes are no bytes, see storesContent). */
function isOwnObject(file: FileEntry): boolean {
  return file.pack === undefined && storesContent(file);
}

/** The checked contents of a snapshot: packs in memory or in staging, own objects in staging. */
class StagedContents {
  readonly objects: string;
  readonly packs: string;
  /** Packs kept in memory, by id. */
  readonly held = new Map<string, Buffer>();
  /** Descriptors of the packs in staging, opened on first use. */
  readonly #fds = new Map<string, number>();
  /** Where a slice read from staging goes when it is written right away (createAt): no buffer per file. */
  #scratch = Buffer.alloc(0);
  constructor(objects: string, packs: string) {
    this.objects = objects;
    this.packs = packs;
  }

  /** Replaces `dest` with the file's content. */
  async writeTo(file: FileEntry, dest: string, options: { mode: number; owner?: FileOwner }): Promise<void> {
    if (isOwnObject(file)) return copyFileSafely(join(this.objects, file.sha256), dest, options);
    await replaceFileSafely(dest, this.#slice(file, false), options);
  }

  /**
   * Creates `dest` with a packed file's content when nothing is there (most files of a restore
   * into a fresh container), synchronously: its stats, or undefined when something is there or
   * the file is its own object, and writeTo must replace it.
   */
  createAt(file: FileEntry, dest: string, options: { mode: number; owner?: FileOwner }): Stats | undefined {
    if (isOwnObject(file)) return undefined;
    try {
      return createFileSafely(dest, this.#slice(file, true), options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
      throw error;
    }
  }

  /** A packed file's bytes (its pack was verified whole before the first write); `scratch`: valid until the next call. */
  #slice(file: FileEntry, scratch: boolean): Buffer {
    if (!storesContent(file)) return Buffer.alloc(0);
    const offset = file.offset ?? 0;
    const held = this.held.get(file.pack!);
    if (held) return held.subarray(offset, offset + file.size);
    let fd = this.#fds.get(file.pack!);
    if (fd === undefined) {
      fd = openSync(join(this.packs, file.pack!), "r");
      this.#fds.set(file.pack!, fd);
    }
    if (scratch && this.#scratch.length < file.size) this.#scratch = Buffer.allocUnsafe(Math.max(file.size, 64 * 1024));
    const buffer = scratch ? this.#scratch.subarray(0, file.size) : Buffer.allocUnsafe(file.size);
    for (let done = 0; done < file.size; ) {
      const read = readSync(fd, buffer, done, file.size - done, offset + done);
      if (read === 0) throw new SnapshotProblem(`pack ${file.pack} ends before byte ${offset + file.size}`);
      done += read;
    }
    return buffer;
  }

  close(): void {
    for (const fd of this.#fds.values()) closeSync(fd);
    this.#fds.clear();
    this.held.clear();
  }
}

/**
 * Roots nest (the workspace inside ~/.openclaw). The scan never lists another root's folder or
 * anything below it, and an entry there — a symlink above all — would send that root's whole
 * restore elsewhere; a folder on the way to another root must stay a folder.
 */
function rootOverlapProblem(manifest: Manifest, roots: readonly BackupRoot[]): string | undefined {
  for (const root of roots) {
    const inner = roots.filter((other) => isInside(other.dir, root.dir));
    for (const entry of manifest.roots[root.name] ?? []) {
      const abs = join(root.dir, entry.path);
      for (const other of inner) {
        if (abs === other.dir) return `${root.name}: ${entry.path} is where the root ${other.name} is restored`;
        if (isInside(abs, other.dir)) return `${root.name}: ${entry.path} is inside the root ${other.name}`;
        if (isInside(other.dir, abs) && entry.type !== "dir") return `${root.name}: ${entry.path} is a ${entry.type} on the way to the root ${other.name}`;
      }
    }
  }
  return undefined;
}

function isInside(path: string, dir: string): boolean {
  return path.startsWith(`${dir}/`);
}

/**
 * A root's folder, and every folder between it and the outermost root holding it, must be a
 * real folder: a local symlink there (~/.openclaw/workspace → /etc) would send the whole root
 * elsewhere. Missing ones are created. This is a local problem, not the snapshot's, so no
 * older snapshot would help: the restore stops.
 */
async function prepareRootFolder(root: BackupRoot, roots: readonly BackupRoot[], owner: FileOwner | undefined): Promise<void> {
  const outermost = roots.filter((other) => other.dir === root.dir || isInside(root.dir, other.dir)).reduce((a, b) => (a.dir.length <= b.dir.length ? a : b));
  // The folder holding the outermost root (the home) is the image's, not the agent's.
  const base = dirname(outermost.dir);
  await mkdir(base, { recursive: true });
  try {
    realFolders(base, root.dir, owner);
  } catch (error) {
    if (!(error instanceof UnsafePathError)) throw error;
    const found = error.found === "symlink" ? "a symlink" : "not a folder";
    throw new RestoreError(
      `refusing to restore root ${root.name}: ${error.path} is ${found}; it must be a real folder, as a restore never writes through a symlink`,
    );
  }
}

/**
 * Makes a root match its snapshot entries: extra local files go (deletions propagate), files
 * are created where nothing is, or written through a new temp file renamed over what is there,
 * stale SQLite sidecars are removed so an old WAL is never replayed onto a restored database,
 * and no write ever follows a symlink: the manifest was checked whole (no entry below a
 * symlink or a file, each path once), and the folders above each entry are checked again
 * right before it is written. Folders first, in order; then the files (new ones created one
 * after the other with synchronous calls, see eventLoopTurns; those replacing something several
 * at a time); symlinks last, so none of the snapshot's exists while files are written.
 */
async function applyRoot(root: BackupRoot, entries: Entry[], staged: StagedContents, options: RestoreOptions, known: Map<string, KnownFile>): Promise<number> {
  const { roots, owner } = options;
  await prepareRootFolder(root, roots, owner);
  const nested = roots.filter((other) => isInside(other.dir, root.dir)).map((other) => other.dir);
  const wanted = new Set(entries.map((entry) => entry.path));
  // The same exclusions as the backup: OpenClaw's runtime files are neither restored nor deleted.
  const local = await scanRoot(root.dir, nested, Number.MAX_SAFE_INTEGER, { rootName: root.name });
  for (const entry of [...local.entries].reverse()) {
    if (wanted.has(entry.path)) continue;
    if (entry.type === "dir")
      await rmdir(entry.abs).catch(() => undefined); // kept if it still holds excluded files
    else await rm(entry.abs, { force: true });
  }
  try {
    for (const entry of entries) {
      if (entry.type !== "dir") continue;
      const abs = join(root.dir, entry.path);
      realFolders(root.dir, dirname(abs), owner);
      const existing = await lstat(abs).catch(() => undefined);
      if (existing?.isDirectory()) continue;
      if (existing) await rm(abs, { force: true });
      createFolder(abs, owner);
    }
    const files = entries.filter((entry): entry is FileEntry => entry.type === "file");
    // Packed files are created where nothing is there, synchronously (most of a restore into a fresh container).
    const toReplace: FileEntry[] = [];
    const turn = eventLoopTurns();
    for (const entry of files) {
      await turn();
      const abs = join(root.dir, entry.path);
      realFolders(root.dir, dirname(abs), owner);
      const created = staged.createAt(entry, abs, { mode: entry.mode, owner });
      if (created) known.set(abs, { statKey: statKeyOf(created), sha256: entry.sha256, size: entry.size });
      else toReplace.push(entry);
    }
    // The rest (something is there, or the file is its own object) is replaced through temp files, several at a time.
    await forEachLimited(toReplace, PARALLEL_REPLACES, async (entry) => {
      const abs = join(root.dir, entry.path);
      realFolders(root.dir, dirname(abs), owner);
      const existing = await lstat(abs).catch(() => undefined);
      if (existing?.isDirectory()) await rm(abs, { recursive: true, force: true });
      // Only a file that was there can have left a WAL; a sidecar the snapshot names is written as its own entry.
      if (existing?.isFile()) for (const suffix of SQLITE_SIDECARS) if (!wanted.has(entry.path + suffix)) await rm(abs + suffix, { force: true });
      await staged.writeTo(entry, abs, { mode: entry.mode, owner });
      known.set(abs, { statKey: await fileStatKey(abs), sha256: entry.sha256, size: entry.size });
    });
    // A file whose -wal the snapshot names: its stat key covers that -wal, as the scan computes it, once every file is written.
    for (const entry of files) {
      if (!wanted.has(`${entry.path}-wal`)) continue;
      const abs = join(root.dir, entry.path);
      known.get(abs)!.statKey = await fileStatKey(abs);
    }
    for (const entry of entries) {
      if (entry.type !== "symlink") continue;
      const abs = join(root.dir, entry.path);
      realFolders(root.dir, dirname(abs), owner);
      if (await lstat(abs).catch(() => undefined)) await rm(abs, { recursive: true, force: true });
      await createSymlink(entry.target, abs, owner);
    }
    // Folder modes last, deepest first: a read-only folder must not block writing what it holds.
    for (const entry of [...entries].reverse()) {
      if (entry.type !== "dir") continue;
      const abs = join(root.dir, entry.path);
      realFolders(root.dir, dirname(abs), owner);
      await setFolderMode(abs, entry.mode, owner);
    }
    return files.length;
  } catch (error) {
    if (error instanceof UnsafePathError) throw new SnapshotProblem(`root ${root.name}: ${error.message}`);
    throw error;
  }
}

/**
 * moltworker's layout: files stored under their path below openclaw/ (or clawdbot/ from
 * before the rename), workspace/ and skills/. Nothing local is deleted: these folders were
 * written by rclone and may be partial, so they only add files.
 */
async function restoreMoltworkerLayout(staging: string, options: RestoreOptions): Promise<RestoreOutcome | null> {
  const { bucket, log } = options;
  const prefixes: string[] = [];
  const known = new Map<string, KnownFile>();
  let files = 0;
  await mkdir(staging, { recursive: true });
  for (const root of options.roots) {
    if (!root.legacyPrefix) continue;
    let prefix = root.legacyPrefix;
    let objects = await bucket.list(bucket.prefix + prefix);
    if (!objects.length && root.name === "openclaw") {
      prefix = "clawdbot/";
      objects = await bucket.list(bucket.prefix + prefix);
    }
    if (!objects.length) continue;
    prefixes.push(prefix);
    await prepareRootFolder(root, options.roots, options.owner);
    await forEachLimited(objects, PARALLEL_DOWNLOADS, async (object, index) => {
      const rel = object.key.slice((bucket.prefix + prefix).length);
      if (rel.endsWith("/") || !rel) return; // folder markers
      if (!isSafeRelativePath(rel)) {
        log.warn("restore", "skipped an object whose name would leave its folder", { key: object.key });
        return;
      }
      const temp = join(staging, String(index));
      const got = await bucket.download(object.key, temp);
      // Single-part uploads carry their MD5 as the ETag: a free integrity check.
      if (/^[0-9a-f]{32}$/.test(object.etag) && got.md5 !== object.etag)
        throw new RestoreError(`${object.key} fails its checksum (ETag ${object.etag}, got ${got.md5})`);
      const abs = join(root.dir, rel);
      try {
        realFolders(root.dir, dirname(abs), options.owner);
        for (const suffix of SQLITE_SIDECARS) await rm(abs + suffix, { force: true });
        await copyFileSafely(temp, abs, { owner: options.owner });
        await rm(temp); // staged copies of a whole layout add up
      } catch (error) {
        // No older snapshot to fall back to here: a local symlink in the way stops the restore.
        if (error instanceof UnsafePathError) throw new RestoreError(`${error.message} (restoring ${object.key})`);
        throw error;
      }
      known.set(abs, { statKey: await fileStatKey(abs), sha256: got.sha256, size: got.size });
      files++;
    });
  }
  if (!prefixes.length) return null;
  if (prefixes.includes("clawdbot/")) await adoptClawdbotConfig(options, log);
  log.info("restore", "restored from moltworker's folders (no moltlab snapshot yet; the first backup writes one)", { prefixes, files });
  // `known` seeds hashes, but nothing is in our object store yet: the first backup uploads everything.
  return { source: "moltworker", prefixes, skipped: [], files, manifest: null, known };
}

/**
 * Before the rename the config was clawdbot.json; OpenClaw reads openclaw.json. A local
 * clawdbot.json that is a symlink (or anything but a regular file) is not copied: as root the
 * copy would hand the gateway whatever file it names.
 */
async function adoptClawdbotConfig(options: RestoreOptions, log: Logger): Promise<void> {
  const stateDir = options.roots.find((root) => root.name === "openclaw")!.dir;
  const legacy = join(stateDir, "clawdbot.json");
  const current = join(stateDir, "openclaw.json");
  const hasCurrent = await lstat(current).then(
    () => true,
    () => false,
  );
  const hasLegacy = await lstat(legacy).then(
    () => true,
    () => false,
  );
  if (!hasLegacy || hasCurrent) return;
  try {
    await copyFileSafely(legacy, current, { owner: options.owner });
    log.info("restore", "copied the legacy clawdbot.json to openclaw.json");
  } catch (error) {
    if (!(error instanceof UnsafePathError)) throw error;
    log.warn("restore", "the legacy clawdbot.json is not a regular file; not copied to openclaw.json", { path: legacy, problem: error.message });
  }
}

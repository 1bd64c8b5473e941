/**
 * Snapshot layout in the bucket (all under the optional MOLTLAB_R2_PREFIX):
 *
 *   moltlab/packs/<sha256[0:2]>/<sha256>     small files' contents, concatenated (see pack.ts)
 *   moltlab/objects/<sha256[0:2]>/<sha256>   a large file's content, content-addressed
 *   moltlab/snapshots/<id>.json              one manifest per snapshot (written after its packs and objects)
 *   moltlab/latest.json                      pointer to the newest manifest, for status readers
 *
 * A manifest exists only once every pack and object it names was uploaded, so a manifest is a
 * complete snapshot. Format 2 names, for a packed file, its pack and offset; format 1 (every
 * file its own object) is still read, so a bucket written before packs restores as it was; ids sort by time, and each new one after the one it follows whatever the
 * clock says (nextSnapshotId), so the newest is the last in key order. moltworker's plain
 * folders (openclaw/, workspace/, skills/, clawdbot/) are only read, never written.
 */
import { randomBytes } from "node:crypto";

export const MANIFEST_FORMAT = "moltlab-snapshot/2";
/** Every file its own object: read, never written. */
export const MANIFEST_FORMAT_V1 = "moltlab-snapshot/1";

export interface FileEntry {
  path: string;
  type: "file";
  sha256: string;
  size: number;
  mode: number;
  /** The pack holding the content at `offset`; absent: the content is its own object. */
  pack?: string;
  offset?: number;
}
export interface DirEntry {
  path: string;
  type: "dir";
  mode: number;
}
export interface LinkEntry {
  path: string;
  type: "symlink";
  target: string;
}
export type Entry = FileEntry | DirEntry | LinkEntry;

export interface PackInfo {
  size: number;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT | typeof MANIFEST_FORMAT_V1;
  id: string;
  createdAt: string;
  /** Every pack a file entry names, with its size (format 2; absent in format 1). */
  packs?: Record<string, PackInfo>;
  /** Root name (openclaw, workspace, …) → its entries, in the scan's order (comparePaths), each path once; paths are relative, with "/". */
  roots: Record<string, Entry[]>;
}

export class SnapshotKeys {
  readonly base: string;
  constructor(prefix: string) {
    this.base = `${prefix}moltlab/`;
  }
  object(sha256: string): string {
    return `${this.base}objects/${sha256.slice(0, 2)}/${sha256}`;
  }
  get objectsPrefix(): string {
    return `${this.base}objects/`;
  }
  pack(sha256: string): string {
    return `${this.packsPrefix}${sha256.slice(0, 2)}/${sha256}`;
  }
  get packsPrefix(): string {
    return `${this.base}packs/`;
  }
  snapshot(id: string): string {
    return `${this.snapshotsPrefix}${id}.json`;
  }
  get snapshotsPrefix(): string {
    return `${this.base}snapshots/`;
  }
  get latest(): string {
    return `${this.base}latest.json`;
  }
  /** The snapshot id of a manifest key, or undefined for anything else under snapshots/. */
  idOf(key: string): string | undefined {
    if (!key.startsWith(this.snapshotsPrefix) || !key.endsWith(".json")) return undefined;
    const id = key.slice(this.snapshotsPrefix.length, -".json".length);
    return SNAPSHOT_ID.test(id) ? id : undefined;
  }
}

/** 20261120T101112345Z-a1b2c3: sortable by time; the suffix keeps two ids in one millisecond apart. */
const SNAPSHOT_ID = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;
const SNAPSHOT_ID_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-/;

/**
 * The id of a new snapshot: from the clock, but always after `previous` (the snapshot restored
 * or last written). A container whose clock ran ahead leaves ids from the future; ids from a
 * correct clock would sort before them, so the next boot would restore the stale snapshot and
 * pruning would drop the new ones. Then the id is previous's time + 1 ms, until the clock
 * catches up.
 */
export function nextSnapshotId(previous: string | null, now = new Date()): string {
  const previousTime = previous === null ? undefined : snapshotIdTime(previous);
  if (previousTime === undefined || now.getTime() > previousTime) return snapshotIdAt(now.getTime());
  const bumped = snapshotIdAt(previousTime + 1);
  // Past year 9999 the format cannot go on; only a forged id gets there.
  return SNAPSHOT_ID.test(bumped) ? bumped : snapshotIdAt(now.getTime());
}

function snapshotIdAt(time: number): string {
  return `${new Date(time).toISOString().replace(/[-:.]/g, "")}-${randomBytes(3).toString("hex")}`;
}

function snapshotIdTime(id: string): number | undefined {
  const parts = SNAPSHOT_ID_TIME.exec(id)?.slice(1).map(Number);
  if (!parts) return undefined;
  const [year, month, day, hour, minute, second, ms] = parts as [number, number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** Manifests come from the network: every field is checked, and paths may not leave their root. */
export function parseManifest(text: string, expectedId: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SnapshotProblem(`manifest is not valid JSON (${(error as Error).message})`);
  }
  const manifest = value as Partial<Manifest>;
  if (typeof value !== "object" || value === null) throw new SnapshotProblem("manifest is not an object");
  if (manifest.format !== MANIFEST_FORMAT && manifest.format !== MANIFEST_FORMAT_V1)
    throw new SnapshotProblem(`unknown manifest format ${JSON.stringify(manifest.format)}`);
  if (manifest.id !== expectedId) throw new SnapshotProblem(`manifest id ${JSON.stringify(manifest.id)} does not match its key`);
  if (typeof manifest.roots !== "object" || manifest.roots === null) throw new SnapshotProblem("manifest has no roots");
  const packs = packsOf(manifest);
  for (const [root, entries] of Object.entries(manifest.roots)) {
    if (!Array.isArray(entries)) throw new SnapshotProblem(`root ${root} is not a list`);
    for (const entry of entries as unknown[]) {
      const problem = entryProblem(entry) ?? packRefProblem(entry as Entry, packs);
      if (problem) throw new SnapshotProblem(`root ${root}: ${problem}`);
    }
    const problem = treeProblem(entries as Entry[]);
    if (problem) throw new SnapshotProblem(`root ${root}: ${problem}`);
  }
  return manifest as Manifest;
}

/** The manifest's pack table, checked: format 1 has none, so a pack reference there is refused below. */
function packsOf(manifest: Partial<Manifest>): ReadonlyMap<string, PackInfo> {
  if (manifest.format === MANIFEST_FORMAT_V1 || manifest.packs === undefined) return new Map();
  if (typeof manifest.packs !== "object" || manifest.packs === null || Array.isArray(manifest.packs))
    throw new SnapshotProblem("manifest packs is not an object");
  const packs = new Map<string, PackInfo>();
  for (const [id, info] of Object.entries(manifest.packs)) {
    if (!SHA256.test(id)) throw new SnapshotProblem(`pack id ${JSON.stringify(id)} is not a SHA-256`);
    const size = (info as Partial<PackInfo> | null)?.size;
    if (!Number.isSafeInteger(size) || (size as number) <= 0) throw new SnapshotProblem(`pack ${id}: bad size`);
    packs.set(id, { size: size as number });
  }
  return packs;
}

/** A packed file must name a pack of the table and lie inside it. */
function packRefProblem(entry: Entry, packs: ReadonlyMap<string, PackInfo>): string | undefined {
  if (entry.type !== "file" || (entry.pack === undefined && entry.offset === undefined)) return undefined;
  // An empty file needs no content. Backups before 7 Dec 2026 could name an offset and no pack
  // for one (see Backup); such a snapshot restores in full.
  if (!storesContent(entry) && entry.pack === undefined) return undefined;
  if (typeof entry.pack !== "string" || !Number.isSafeInteger(entry.offset) || (entry.offset as number) < 0) return `${entry.path}: bad pack reference`;
  const pack = packs.get(entry.pack);
  if (!pack) return `${entry.path}: names pack ${entry.pack}, which the manifest does not list`;
  if ((entry.offset as number) + entry.size > pack.size) return `${entry.path}: lies beyond the end of pack ${entry.pack}`;
  return undefined;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The restore writes a root's entries in order and relies on each path being there once and
 * nothing sitting below a file or a symlink. A manifest that breaks this is refused whole: it
 * could create a folder, turn it into a symlink to, say, /root, then write below it. The order
 * is the scan's: a folder, then what it holds, names sorted within a folder ("a/x" before
 * "a-b", although "-" sorts before "/"); following it strictly also makes every path unique.
 */
function treeProblem(entries: readonly Entry[]): string | undefined {
  const leaves = new Map<string, "file" | "symlink">();
  let previous: string | undefined;
  for (const { path, type } of entries) {
    if (previous !== undefined) {
      const order = comparePaths(previous, path);
      if (order === 0) return `${path} is listed twice`;
      if (order > 0) return `${path} comes after ${previous} (entries must be sorted by path: a folder, then what it holds)`;
    }
    const leaf = ancestors(path).find((ancestor) => leaves.has(ancestor));
    if (leaf !== undefined) return `${path} is below the ${leaves.get(leaf)} ${leaf}`;
    if (type !== "dir") leaves.set(path, type);
    previous = path;
  }
  return undefined;
}

/** The scan's order: component by component, each compared as JavaScript sorts strings. */
function comparePaths(a: string, b: string): number {
  const [x, y] = [a.split("/"), b.split("/")];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  }
  return x.length - y.length;
}

/** "a/b/c" → ["a", "a/b"]. */
function ancestors(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

function entryProblem(value: unknown): string | undefined {
  const entry = value as { path?: unknown; type?: unknown; sha256?: unknown; size?: unknown; mode?: unknown; target?: unknown };
  if (typeof value !== "object" || value === null) return "an entry is not an object";
  if (!isSafeRelativePath(entry.path)) return `unsafe path ${JSON.stringify(entry.path)}`;
  const path = entry.path;
  if (entry.type === "file") {
    if (typeof entry.sha256 !== "string" || !SHA256.test(entry.sha256)) return `${path}: bad sha256`;
    if (!Number.isSafeInteger(entry.size) || (entry.size as number) < 0) return `${path}: bad size`;
    if (!Number.isInteger(entry.mode)) return `${path}: bad mode`;
  } else if (entry.type === "dir") {
    if (!Number.isInteger(entry.mode)) return `${path}: bad mode`;
  } else if (entry.type === "symlink") {
    if (typeof entry.target !== "string" || !entry.target) return `${path}: bad symlink target`;
  } else return `${path}: unknown type ${JSON.stringify(entry.type)}`;
  return undefined;
}

export function isSafeRelativePath(path: unknown): path is string {
  if (typeof path !== "string" || !path || path.includes("\0") || path.startsWith("/") || path.includes("\\")) return false;
  return path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/** Two snapshots hold the same data: then no new manifest is written. */
export function sameRoots(a: Manifest["roots"], b: Manifest["roots"]): boolean {
  return JSON.stringify(sortedRoots(a)) === JSON.stringify(sortedRoots(b));
}

function sortedRoots(roots: Manifest["roots"]): [string, Entry[]][] {
  return Object.entries(roots).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

/** Whether the bucket holds the file's bytes: an empty file's entry alone restores it, so it has neither pack nor object. */
export function storesContent(file: FileEntry): boolean {
  return file.size > 0;
}

/** Where a file's content is: a pack and offset, or its own object. */
export type ContentLocation = { pack: string; offset: number } | "object";

export function locationOf(file: FileEntry): ContentLocation {
  return file.pack === undefined ? "object" : { pack: file.pack, offset: file.offset ?? 0 };
}

export function fileEntries(manifest: Manifest): FileEntry[] {
  return Object.values(manifest.roots).flatMap((entries) => entries.filter((entry): entry is FileEntry => entry.type === "file"));
}

/** A snapshot that cannot be restored (bad manifest, missing object, checksum mismatch), as opposed to R2 not answering. */
export class SnapshotProblem extends Error {
  override name = "SnapshotProblem";
}

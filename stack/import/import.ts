/**
 * `moltlab import`: a user's OpenClaw state written into a bucket as a snapshot, by the
 * supervisor's own backup (container/supervisor/backup.ts) over the folders the source names —
 * one way to write a snapshot, so the container restores an import exactly as it restores its
 * own backups. Packs and objects are uploaded first and the manifest last: an import that
 * fails half way leaves no snapshot, only unnamed packs that pruning removes.
 *
 * The plan comes first and writes nothing: what would be uploaded (files, bytes, objects) and
 * what is in the bucket already. A bucket that holds snapshots or moltworker folders is
 * refused without `force`: the import would become the newest snapshot, restored instead of them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { Backup, type BackupResult } from "../../container/supervisor/backup.ts";
import type { BackupRoot } from "../../container/supervisor/env.ts";
import type { Logger } from "../../container/supervisor/log.ts";
import { PACK_FILE_LIMIT, PACK_TARGET } from "../../container/supervisor/pack.ts";
import { scanRoot } from "../../container/supervisor/scan.ts";
import { parseManifest, SnapshotKeys, type Entry, type Manifest } from "../../container/supervisor/snapshot.ts";
import type { Bucket } from "../../container/supervisor/storage.ts";
import { UserError } from "../../core/errors.ts";
import type { ImportSource } from "./source.ts";
import { summariseState, type StateSummary } from "./summary.ts";

/** The supervisor's default (MOLTLAB_BACKUP_MAX_FILE_MB): larger files are left out, as a container's backup would. */
export const IMPORT_MAX_FILE_BYTES = 1024 * 1024 * 1024;

export interface RootPlan {
  name: string;
  dir: string;
  files: number;
  bytes: number;
  folders: number;
  symlinks: number;
  /** Over IMPORT_MAX_FILE_BYTES: not imported. */
  tooLarge: string[];
  unreadable: string[];
  /** Links whose target is outside the root ("path → target"): kept as links, dangling where the target does not exist. */
  linksOut: string[];
}

export interface ImportPlan {
  source: ImportSource;
  roots: RootPlan[];
  files: number;
  bytes: number;
  /** Objects the import writes at most: packs (small files), own objects (large ones), the manifest, the pointer, the import record. */
  objects: { packs: number; large: number; total: number };
  bucket: { name: string; endpoint: string; prefix: string };
  /** Snapshots already in the bucket, oldest first. */
  existingSnapshots: string[];
  /** moltworker folders (openclaw/, clawdbot/, workspace/, skills/) in the bucket, with their object counts. */
  moltworkerFolders: { prefix: string; objects: number }[];
  summary: StateSummary;
}

const MOLTWORKER_PREFIXES = ["openclaw/", "clawdbot/", "workspace/", "skills/"];

/** Where an import's record lives: beside the snapshots, never read by a restore. */
export function importRecordKey(keys: SnapshotKeys, id: string): string {
  return `${keys.base}imports/${id}.json`;
}

export async function planImport(source: ImportSource, bucket: Bucket): Promise<ImportPlan> {
  const roots: RootPlan[] = [];
  let smallBytes = 0;
  let large = 0;
  for (const root of source.roots) {
    const nested = source.roots.filter((other) => other !== root && other.dir.startsWith(`${root.dir}/`)).map((other) => other.dir);
    const scan = await scanRoot(root.dir, nested, IMPORT_MAX_FILE_BYTES, { rootName: root.name });
    const files = scan.entries.filter((entry) => entry.type === "file");
    for (const file of files) {
      if (file.size <= PACK_FILE_LIMIT) smallBytes += file.size;
      else large++;
    }
    roots.push({
      name: root.name,
      dir: root.dir,
      files: files.length,
      bytes: files.reduce((sum, file) => sum + file.size, 0),
      folders: scan.entries.filter((entry) => entry.type === "dir").length,
      symlinks: scan.entries.filter((entry) => entry.type === "symlink").length,
      tooLarge: scan.tooLarge,
      linksOut: scan.entries
        .filter((entry) => entry.type === "symlink" && leavesRoot(entry.path, entry.target!))
        .map((entry) => `${entry.path} → ${entry.target}`),
      unreadable: scan.unreadable.filter((item) => item.path !== "" || !/ENOENT/.test(item.reason)).map((item) => `${item.path || root.dir}: ${item.reason}`),
    });
  }
  const keys = new SnapshotKeys(bucket.prefix);
  const existingSnapshots = (await bucket.list(keys.snapshotsPrefix))
    .map((object) => keys.idOf(object.key))
    .filter((id) => id !== undefined)
    .sort();
  const moltworkerFolders: ImportPlan["moltworkerFolders"] = [];
  for (const prefix of MOLTWORKER_PREFIXES) {
    const objects = (await bucket.list(bucket.prefix + prefix)).length;
    if (objects) moltworkerFolders.push({ prefix, objects });
  }
  const packs = Math.ceil(smallBytes / PACK_TARGET) || (roots.some((root) => root.files > large) ? 1 : 0);
  return {
    source,
    roots,
    files: roots.reduce((sum, root) => sum + root.files, 0),
    bytes: roots.reduce((sum, root) => sum + root.bytes, 0),
    objects: { packs, large, total: packs + large + 3 },
    bucket: { name: bucket.name, endpoint: bucket.endpoint, prefix: bucket.prefix },
    existingSnapshots,
    moltworkerFolders,
    summary: await summariseState(source.roots),
  };
}

/** A link target outside the root it sits in: absolute, or climbing above it. */
function leavesRoot(path: string, target: string): boolean {
  if (target.startsWith("/")) return true;
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  return resolved === ".." || resolved.startsWith("../");
}

/** Why the import would supersede what the bucket holds; undefined for an empty bucket. */
export function supersedes(plan: ImportPlan): string | undefined {
  const parts: string[] = [];
  if (plan.existingSnapshots.length)
    parts.push(
      `${plan.existingSnapshots.length} snapshot(s), the newest ${plan.existingSnapshots.at(-1)}: the import would become the newest and be restored instead`,
    );
  if (plan.moltworkerFolders.length)
    parts.push(
      `moltworker folders (${plan.moltworkerFolders.map((folder) => `${folder.prefix} ${folder.objects} object(s)`).join(", ")}): a snapshot is restored in their place`,
    );
  return parts.length ? parts.join("; ") : undefined;
}

/** moltlab/imports/<id>.json: what was imported, and the snapshot as it was written. */
export interface ImportRecord {
  id: string;
  importedAt: string;
  source: { kind: string; path: string };
  summary: StateSummary;
  manifest: Manifest;
}

export interface ApplyOptions {
  log: Logger;
  force: boolean;
  /** Called after each uploaded object. */
  onUpload?: (objects: number, bytes: number) => void;
}

export interface ImportResult {
  id: string;
  backup: BackupResult;
}

/** Writes the plan's snapshot with the supervisor's Backup, then the import record. */
export async function applyImport(plan: ImportPlan, bucket: Bucket, options: ApplyOptions): Promise<ImportResult> {
  const conflict = supersedes(plan);
  if (conflict && !options.force)
    throw new UserError(
      `bucket ${plan.bucket.name}${plan.bucket.prefix ? ` (prefix ${plan.bucket.prefix})` : ""} already holds ${conflict}; nothing was written`,
      "import into an empty bucket (`npm run dev -- --reset` empties the local one), or pass --force to write the import as the newest snapshot (the older ones stay until pruning)",
    );
  const keys = new SnapshotKeys(bucket.prefix);
  const staging = await mkdtemp(join(tmpdir(), "moltlab-import-"));
  try {
    const backup = new Backup({
      roots: plan.source.roots,
      bucket: countingUploads(bucket, options.onUpload),
      log: options.log,
      stagingDir: staging,
      maxFileBytes: IMPORT_MAX_FILE_BYTES,
      keep: Number.MAX_SAFE_INTEGER,
    });
    // After the newest snapshot (its id sorts after it whatever the clock says), reusing the contents it already has.
    const newest = plan.existingSnapshots.at(-1);
    if (newest) backup.seed(await readManifest(bucket, keys, newest), new Map());
    const result = await backup.run("import");
    if (!result.ok || !result.id) throw new Error(`the import's backup failed: ${result.error ?? "no snapshot written"}`);
    if (!result.changed)
      throw new UserError(
        `the bucket's newest snapshot ${result.id} already holds exactly this state; nothing was written`,
        "nothing to do: `npm run dev` restores it",
      );
    // The manifest travels in the record: the booted container backs up often and prunes, so the import's own snapshot may be gone by the time --changes asks.
    const manifest = parseManifest(await bucket.getText(keys.snapshot(result.id)), result.id);
    const record: ImportRecord = {
      id: result.id,
      importedAt: new Date().toISOString(),
      source: { kind: plan.source.kind, path: plan.source.path },
      summary: plan.summary,
      manifest,
    };
    await bucket.put(importRecordKey(keys, result.id), Buffer.from(JSON.stringify(record, null, 2)), "application/json");
    return { id: result.id, backup: result };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function readManifest(bucket: Bucket, keys: SnapshotKeys, id: string): Promise<Manifest | null> {
  try {
    return parseManifest(await bucket.getText(keys.snapshot(id)), id);
  } catch {
    return null;
  }
}

/** The bucket with a callback after each PUT (packs and objects, one by one), for progress. */
function countingUploads(bucket: Bucket, onUpload: ApplyOptions["onUpload"]): Bucket {
  if (!onUpload) return bucket;
  let objects = 0;
  let bytes = 0;
  return new Proxy(bucket, {
    get(target, property) {
      if (property === "put")
        return async (key: string, body: Buffer | { path: string; size: number }, contentType?: string) => {
          await target.put(key, body, contentType);
          objects++;
          bytes += Buffer.isBuffer(body) ? body.length : body.size;
          onUpload(objects, bytes);
        };
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export interface SnapshotChanges {
  from: string;
  to: string;
  added: string[];
  changed: string[];
  removed: string[];
  /** Snapshots in the bucket now, and whether the import's own is still one of them (pruning removes the oldest). */
  snapshots: number;
  importKept: boolean;
}

/**
 * What changed between the import's snapshot (as its record keeps it: a booted container backs up
 * often and prunes, so the snapshot itself may be gone) and the newest one, after the sandbox
 * booted on it and backed up: OpenClaw's own migration of the state, file by file ("root/path").
 */
export async function changesSinceImport(bucket: Bucket, importId?: string): Promise<SnapshotChanges> {
  const keys = new SnapshotKeys(bucket.prefix);
  const ids = (await bucket.list(keys.snapshotsPrefix))
    .map((object) => keys.idOf(object.key))
    .filter((id) => id !== undefined)
    .sort();
  const imports = (await bucket.list(`${keys.base}imports/`)).map((object) => object.key.slice(`${keys.base}imports/`.length, -".json".length)).sort();
  const from = importId ?? imports.at(-1);
  if (!from) throw new UserError(`bucket ${bucket.name} holds no import`, "run `moltlab import <path>` first");
  const to = ids.at(-1);
  if (!to) throw new UserError(`bucket ${bucket.name} holds no snapshot`, "run `moltlab import <path>` first");
  const record = JSON.parse(await bucket.getText(importRecordKey(keys, from))) as Partial<ImportRecord>;
  if (!record.manifest) throw new UserError(`the import record ${from} holds no manifest`, "import again with this version of moltlab");
  const before = flatten(parseManifest(JSON.stringify(record.manifest), from));
  const after = flatten(parseManifest(await bucket.getText(keys.snapshot(to)), to));
  const added = [...after.keys()].filter((path) => !before.has(path));
  const removed = [...before.keys()].filter((path) => !after.has(path));
  const changed = [...after.keys()].filter((path) => before.has(path) && before.get(path) !== after.get(path));
  return { from, to, added, changed, removed, snapshots: ids.length, importKept: ids.includes(from) };
}

/** "root/path" → what identifies its content (files: SHA-256; folders: "dir"; links: their target). */
function flatten(manifest: Manifest): Map<string, string> {
  const out = new Map<string, string>();
  for (const [root, entries] of Object.entries(manifest.roots)) for (const entry of entries) out.set(`${root}/${entry.path}`, identity(entry));
  return out;
}

function identity(entry: Entry): string {
  return entry.type === "file" ? entry.sha256 : entry.type === "dir" ? "dir" : `-> ${entry.target}`;
}

export type { BackupRoot };

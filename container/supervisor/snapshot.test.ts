/**
 * Backup and restore against the R2 stand-in, in-process: snapshots, SQLite, deletions,
 * corrupt snapshots, moltworker's layout, outages, hostile snapshots and local symlinks that
 * must never make a restore write outside its roots, ids from a clock that ran ahead.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createHash, randomBytes } from "node:crypto";
import { chmod, chown, lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startR2, type StartedR2 } from "../../emulators/r2/index.ts";
import { Backup, type BackupOptions } from "./backup.ts";
import { isIgnoredEvent } from "./backup-loop.ts";
import type { BackupRoot, R2Settings } from "./env.ts";
import { createLogger, type Logger } from "./log.ts";
import { restore, RestoreError, type RestoreOptions } from "./restore.ts";
import { copySqliteDatabase, isSqliteDatabase } from "./sqlite-copy.ts";
import { PACK_FILE_LIMIT } from "./pack.ts";
import { fileEntries, MANIFEST_FORMAT, MANIFEST_FORMAT_V1, parseManifest, SnapshotKeys, type DirEntry, type LinkEntry, type Manifest } from "./snapshot.ts";
import { Bucket, operationsSince } from "./storage.ts";
import { freePort, removeDirs, tcpSwitch, tempDir, type LogLine } from "./testing/harness.ts";

let r2: StartedR2;
let s3: S3Client;
const dirs: string[] = [];
let testNumber = 0;

beforeAll(async () => {
  r2 = await startR2();
  s3 = new S3Client(r2.s3ClientConfig());
});
afterAll(async () => {
  s3.destroy();
  await r2.stop();
});
afterEach(() => removeDirs(dirs));

interface Setup {
  home: string;
  roots: BackupRoot[];
  bucket: Bucket;
  logs: LogLine[];
  log: Logger;
  backup: Backup;
  prefix: string;
}

/** A home with moltworker's three roots, a bucket under a prefix of its own, and a Backup. */
async function setup(prefix = `t${++testNumber}/`, r2Settings?: Partial<R2Settings>, backupOptions: Partial<BackupOptions> = {}): Promise<Setup> {
  const home = await tempDir("snap");
  dirs.push(home);
  const state = join(home, ".openclaw");
  const roots: BackupRoot[] = [
    { name: "openclaw", dir: state, legacyPrefix: "openclaw/" },
    { name: "workspace", dir: join(state, "workspace"), legacyPrefix: "workspace/" },
    { name: "skills", dir: join(state, "workspace", "skills"), legacyPrefix: "skills/" },
  ];
  const logs: LogLine[] = [];
  const log = createLogger({ secrets: [r2.secretAccessKey], write: (line) => logs.push(JSON.parse(line)), minLevel: "debug" });
  const settings: R2Settings = {
    endpoint: r2.endpoint,
    bucket: r2.bucket,
    accessKeyId: r2.accessKeyId,
    secretAccessKey: r2.secretAccessKey,
    prefix,
    ...r2Settings,
  };
  const bucket = new Bucket(settings, log, 2);
  const backup = new Backup({ roots, bucket, log, stagingDir: join(home, ".cache"), maxFileBytes: 64 * 1024 * 1024, keep: 20, ...backupOptions });
  return { home, roots, bucket, logs, log, backup, prefix };
}

/** A second, empty home restoring from the same bucket prefix. */
async function restoreInto(from: Setup, options: { allowFreshStart?: boolean } = {}) {
  const target = await setup(from.prefix);
  const outcome = await restoreHere(target, options);
  return { target, outcome };
}

/** A restore into this setup's home (which may hold local files planted by the test). */
function restoreHere(target: Setup, options: Partial<Pick<RestoreOptions, "allowFreshStart" | "owner" | "packMemoryBytes">> = {}) {
  return restore({ roots: target.roots, bucket: target.bucket, log: target.log, stagingDir: join(target.home, ".cache"), allowFreshStart: false, ...options });
}

async function write(path: string, content: string | Buffer): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, content);
}

/** Every file under a dir (relative path → bytes), skipping our staging folder. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const abs = join(entry.parentPath, entry.name);
    const rel = abs.slice(dir.length + 1);
    if (rel.startsWith(".cache") || !entry.isFile()) continue;
    out[rel] = (await readFile(abs)).toString("base64");
  }
  return out;
}

/** The manifest of a snapshot, as restore would read it. */
async function manifestOf(from: Setup, id: string): Promise<Manifest> {
  return parseManifest(await from.bucket.getText(new SnapshotKeys(from.prefix).snapshot(id)), id);
}

/** The paths a snapshot holds for one root. */
async function pathsIn(from: Setup, id: string, root: string): Promise<string[]> {
  return ((await manifestOf(from, id)).roots[root] ?? []).map((entry) => entry.path);
}

/** A table `t (x)` with `rows` rows; WAL mode with checkpoints off keeps them in the -wal only. */
function createDatabase(path: string, rows: number, mode: "wal" | "delete"): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec(mode === "wal" ? "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0" : "PRAGMA journal_mode = DELETE");
  db.exec("CREATE TABLE t (x INTEGER)");
  for (let i = 1; i <= rows; i++) db.prepare("INSERT INTO t (x) VALUES (?)").run(i);
  return db;
}

function rowCount(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function put(key: string, body: string | Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: r2.bucket, Key: key, Body: body }));
}

describe("backup → restore", { timeout: 30_000 }, () => {
  it("round-trips files byte for byte, including a live WAL-mode database with uncheckpointed writes", async () => {
    const a = await setup();
    const state = a.roots[0]!.dir;
    await write(join(state, "openclaw.json"), '{"gateway":{}}\n');
    await write(join(state, "workspace", "MEMORY.md"), "remember this\n");
    await write(join(state, "workspace", "skills", "s1", "SKILL.md"), "# skill\n");
    await write(join(state, "credentials", "blob.bin"), Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 31) % 256)));
    await write(join(state, "workspace", "repo", ".git", "HEAD"), "ref: refs/heads/main\n");
    await mkdir(join(state, "workspace", "repo", ".git", "refs", "heads"), { recursive: true });
    await write(join(state, "workspace", "node_modules", "x", "index.js"), "the workspace's dependencies are data too");
    await write(join(state, "tmp", "openclaw-0", "gateway.0123abcd.lock"), "excluded: OpenClaw's gateway lock");
    await symlink("MEMORY.md", join(state, "workspace", "memory-link"));

    const dbPath = join(state, "agents", "main", "agent", "openclaw-agent.sqlite");
    await mkdir(join(dbPath, ".."), { recursive: true });
    const db = new DatabaseSync(dbPath);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE messages (id INTEGER PRIMARY KEY, text TEXT)");
    for (let i = 1; i <= 50; i++) db.prepare("INSERT INTO messages (text) VALUES (?)").run(`row-${i}`);
    try {
      expect((await stat(`${dbPath}-wal`)).size).toBeGreaterThan(0); // the writes are still only in the WAL
      const result = await a.backup.run("test");
      expect(result).toMatchObject({ ok: true, changed: true });
      expect(result.id).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{6}$/);
    } finally {
      db.close();
    }

    const { target, outcome } = await restoreInto(a);
    expect(outcome).toMatchObject({ source: "snapshot", skipped: [] });
    const restoredState = target.roots[0]!.dir;
    const expected = await tree(state);
    delete expected["agents/main/agent/openclaw-agent.sqlite"];
    delete expected["tmp/openclaw-0/gateway.0123abcd.lock"];
    const got = await tree(restoredState);
    const restoredDb = got["agents/main/agent/openclaw-agent.sqlite"];
    delete got["agents/main/agent/openclaw-agent.sqlite"];
    expect(got).toEqual(expected);
    expect(restoredDb).toBeDefined();
    expect(await readlink(join(restoredState, "workspace", "memory-link"))).toBe("MEMORY.md");
    expect((await lstat(join(restoredState, "workspace", "repo", ".git", "refs", "heads"))).isDirectory()).toBe(true);

    const copy = new DatabaseSync(join(restoredState, "agents", "main", "agent", "openclaw-agent.sqlite"), { readOnly: true });
    try {
      expect(copy.prepare("SELECT count(*) AS n, max(text) AS last FROM messages WHERE id = (SELECT max(id) FROM messages)").get()).toEqual({
        n: 1,
        last: "row-50",
      });
      expect(copy.prepare("SELECT count(*) AS n FROM messages").get()).toEqual({ n: 50 });
    } finally {
      copy.close();
    }
  });

  it("backs up an empty file that is the only new content of a run (OpenClaw's lock files), and restores it", async () => {
    const a = await setup();
    const state = a.roots[0]!.dir;
    await write(join(state, "agents/main/agent/openclaw-agent.sqlite"), "not a database, just bytes");
    await a.backup.run("test");
    // A zero-byte file alone in the run: a pack with nothing in it was never sealed, so the
    // manifest named no pack for it and every restore skipped the snapshot as malformed.
    await write(join(state, "agents/main/agent/openclaw-agent.sqlite.generation-lock.sqlite"), "");
    const second = await a.backup.run("test");
    expect(second).toMatchObject({ ok: true, changed: true });
    expect(await pathsIn(a, second.id!, "openclaw")).toContain("agents/main/agent/openclaw-agent.sqlite.generation-lock.sqlite");
    // The next run reuses what the last one stored for the same (empty) content.
    await write(join(state, "empty-too"), "");
    const third = await a.backup.run("test");
    expect(await pathsIn(a, third.id!, "openclaw")).toContain("empty-too");

    const { target, outcome } = await restoreInto(a);
    expect(outcome).toMatchObject({ source: "snapshot", id: third.id, skipped: [] });
    expect(await tree(target.roots[0]!.dir)).toEqual(await tree(state));
  });

  it("restores a snapshot whose empty file names an offset and no pack (as backups before 7 Dec 2026 wrote it)", async () => {
    const a = await setup();
    const ws = a.roots[1]!.dir;
    await write(join(ws, "notes.md"), "kept");
    const first = await a.backup.run("test");
    const manifest = await manifestOf(a, first.id!);
    const id = first.id!.replace(/^(\d{8}T\d{6})\d{3}/, "$1999");
    const empty = { path: "zz-lock", type: "file", sha256: createHash("sha256").digest("hex"), size: 0, mode: 0o644, offset: 0 } as const;
    await put(
      new SnapshotKeys(a.prefix).snapshot(id),
      JSON.stringify({ ...manifest, id, roots: { ...manifest.roots, workspace: [...manifest.roots.workspace!, empty] } }),
    );

    const { target, outcome } = await restoreInto(a);
    expect(outcome).toMatchObject({ source: "snapshot", id, skipped: [] });
    expect(await tree(target.roots[1]!.dir)).toEqual({ "notes.md": Buffer.from("kept").toString("base64"), "zz-lock": "" });
  });

  it("writes no new snapshot when nothing changed, and propagates deletions", async () => {
    const a = await setup();
    const ws = a.roots[1]!.dir;
    await write(join(ws, "keep.md"), "keep");
    await write(join(ws, "gone.md"), "delete me");
    const first = await a.backup.run("test");
    expect(await a.backup.run("test")).toMatchObject({ ok: true, changed: false, id: first.id });

    await rm(join(ws, "gone.md"));
    const second = await a.backup.run("test");
    expect(second).toMatchObject({ ok: true, changed: true });
    expect(second.id).not.toBe(first.id);

    const { target } = await restoreInto(a);
    // A stale local copy in the target is removed too: the snapshot is the truth.
    const targetWs = target.roots[1]!.dir;
    expect(await tree(targetWs)).toEqual({ "keep.md": Buffer.from("keep").toString("base64") });
    await write(join(targetWs, "gone.md"), "stale");
    await restore({ roots: target.roots, bucket: target.bucket, log: target.log, stagingDir: join(target.home, ".cache"), allowFreshStart: false });
    expect(await tree(targetWs)).toEqual({ "keep.md": Buffer.from("keep").toString("base64") });
  });

  it("prunes old snapshots and their unreferenced objects, and the newest still restores", async () => {
    const a = await setup();
    const small = new Backup({
      roots: a.roots,
      bucket: a.bucket,
      log: a.log,
      stagingDir: join(a.home, ".cache"),
      maxFileBytes: 1 << 20,
      keep: 2,
      pruneGraceMs: 0,
    });
    for (let i = 1; i <= 4; i++) {
      await write(join(a.roots[1]!.dir, "note.md"), `version ${i}`);
      expect(await small.run("test")).toMatchObject({ ok: true, changed: true });
    }
    await small.prune();
    const keys = new SnapshotKeys(a.prefix);
    expect(await a.bucket.list(keys.snapshotsPrefix)).toHaveLength(2);
    expect(await a.bucket.list(keys.packsPrefix)).toHaveLength(2); // versions 3 and 4, a pack each
    const { target } = await restoreInto(a);
    expect(await readFile(join(target.roots[1]!.dir, "note.md"), "utf8")).toBe("version 4");
  });

  it("keeps ids moving forward after a snapshot from a clock that ran ahead: the next boot and pruning see the new state", async () => {
    const a = await setup();
    await write(join(a.roots[1]!.dir, "MEMORY.md"), "written while the clock said 2099");
    const written = await a.backup.run("test");
    // That container's clock ran ahead: its snapshot carries a 2099 id.
    const keys = new SnapshotKeys(a.prefix);
    const future = "20990101T000000000Z-f00000";
    const manifest = JSON.parse(await a.bucket.getText(keys.snapshot(written.id!))) as { id: string };
    await put(keys.snapshot(future), JSON.stringify({ ...manifest, id: future }));
    await a.bucket.deleteMany([keys.snapshot(written.id!)]);

    const { target, outcome } = await restoreInto(a);
    expect(outcome).toMatchObject({ source: "snapshot", id: future });
    target.backup.seed(outcome.manifest, outcome.known);
    await write(join(target.roots[1]!.dir, "MEMORY.md"), "written after the clock was fixed");
    const next = await target.backup.run("test");
    expect(next).toMatchObject({ ok: true, changed: true });
    expect(next.id! > future).toBe(true);
    await write(join(target.roots[1]!.dir, "MEMORY.md"), "and once more");
    const last = await target.backup.run("test");
    expect(last.id! > next.id!).toBe(true);

    const again = await restoreInto(a);
    expect(again.outcome.id).toBe(last.id);
    expect(await readFile(join(again.target.roots[1]!.dir, "MEMORY.md"), "utf8")).toBe("and once more");
    await new Backup({
      roots: target.roots,
      bucket: target.bucket,
      log: target.log,
      stagingDir: join(target.home, ".cache"),
      maxFileBytes: 1 << 20,
      keep: 1,
    }).prune();
    expect((await a.bucket.list(keys.snapshotsPrefix)).map((object) => keys.idOf(object.key))).toEqual([last.id]);
    const afterPrune = await restoreInto(a);
    expect(await readFile(join(afterPrune.target.roots[1]!.dir, "MEMORY.md"), "utf8")).toBe("and once more");
  });
});

describe("packs", { timeout: 60_000 }, () => {
  /** `count` files of 16 KiB of distinct bytes under `dir`, 100 per folder. */
  async function smallFiles(dir: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) await write(join(dir, `d${Math.floor(i / 100)}`, `f${i}.bin`), randomBytes(16 * 1024));
  }

  it("backs up 600 small files in a handful of requests and restores them from as few", async () => {
    const a = await setup();
    await smallFiles(join(a.roots[1]!.dir, "data"), 600);
    const before = a.bucket.operations;
    const first = await a.backup.run("test");
    const written = operationsSince(a.bucket.operations, before);
    expect(first).toMatchObject({ ok: true, changed: true, files: 600, uploaded: 600 });
    const manifest = await manifestOf(a, first.id!);
    const packs = Object.keys(manifest.packs ?? {});
    // 9.4 MiB in 8 MiB packs: two packs, then the manifest and the latest pointer.
    expect(packs).toHaveLength(2);
    expect(written).toMatchObject({ classA: 4, classB: 0 });
    expect(fileEntries(manifest).every((file) => file.pack !== undefined)).toBe(true);
    // Nothing changed: no read, no request but the scan's stats.
    const rescanning = a.bucket.operations;
    expect(await a.backup.run("test")).toMatchObject({ ok: true, changed: false, id: first.id, uploaded: 0 });
    expect(operationsSince(a.bucket.operations, rescanning)).toMatchObject({ classA: 0, classB: 0 });

    const target = await setup(a.prefix);
    const restoring = target.bucket.operations;
    expect(await restoreHere(target)).toMatchObject({ source: "snapshot", id: first.id, files: 600 });
    // One list of the snapshots, the manifest, two packs.
    expect(operationsSince(target.bucket.operations, restoring)).toMatchObject({ classA: 1, classB: 3 });
    expect(await tree(target.roots[1]!.dir)).toEqual(await tree(a.roots[1]!.dir));
  });

  it("reads a bucket written in format 1, and the next backup packs its small files", async () => {
    const a = await setup();
    const id = "20261101T000000000Z-000001";
    await putSnapshot(
      a,
      id,
      { workspace: [file("MEMORY.md", "memory"), dir("notes"), file("notes/a.md", "alpha"), file("notes/b.md", "beta")] },
      MANIFEST_FORMAT_V1,
    );
    const target = await setup(a.prefix);
    const outcome = await restoreHere(target);
    expect(outcome).toMatchObject({ source: "snapshot", id, files: 3 });
    expect(await readFile(join(target.roots[1]!.dir, "notes", "b.md"), "utf8")).toBe("beta");

    target.backup.seed(outcome.manifest, outcome.known);
    const next = await target.backup.run("test");
    expect(next).toMatchObject({ ok: true, changed: true, uploaded: 3 });
    const manifest = await manifestOf(target, next.id!);
    expect(manifest.format).toBe(MANIFEST_FORMAT);
    expect(fileEntries(manifest).map((entry) => entry.pack !== undefined)).toEqual([true, true, true]);
    const again = await setup(a.prefix);
    expect(await restoreHere(again)).toMatchObject({ source: "snapshot", id: next.id, files: 3 });
    expect(await tree(again.roots[1]!.dir)).toEqual(await tree(target.roots[1]!.dir));
  });

  it("packs small packs together once there are too many, and a pack mostly deleted again", async () => {
    const a = await setup();
    const ws = a.roots[1]!.dir;
    let last = "";
    const packsOfNewest = async () => Object.keys((await manifestOf(a, last)).packs ?? {});
    // One change per backup: one small pack each, merged when a sixth would be named.
    for (let i = 1; i <= 6; i++) {
      await write(join(ws, `note${i}.md`), `note ${i}`);
      last = (await a.backup.run("test")).id!;
      expect(await packsOfNewest()).toHaveLength(i <= 5 ? i : 1);
    }
    // Most of a large pack deleted: what is left is packed anew.
    await smallFiles(join(ws, "bulk"), 40);
    last = (await a.backup.run("test")).id!;
    const bulkPack = fileEntries(await manifestOf(a, last)).find((entry) => entry.path === "bulk/d0/f0.bin")!.pack!;
    for (let i = 0; i < 30; i++) await rm(join(ws, "bulk", "d0", `f${i}.bin`));
    last = (await a.backup.run("test")).id!;
    const kept = fileEntries(await manifestOf(a, last)).filter((entry) => entry.path.startsWith("bulk/"));
    expect(kept).toHaveLength(10);
    expect(kept.every((entry) => entry.pack !== bulkPack)).toBe(true);

    const target = await setup(a.prefix);
    expect(await restoreHere(target)).toMatchObject({ id: last, files: 16 });
    expect(await tree(target.roots[1]!.dir)).toEqual(await tree(ws));
  });

  it("prunes on the backup queue: a prune asked for during a backup does not take its packs", async () => {
    const a = await setup(undefined, undefined, { keep: 1, pruneGraceMs: 0 });
    const ws = a.roots[1]!.dir;
    for (const version of ["one", "two"]) {
      await write(join(ws, "old.md"), version);
      await a.backup.run("test");
    }
    // What reaches the bucket, in order: the prune's listing must come after the backup's manifest.
    const calls: string[] = [];
    const [list, put] = [a.bucket.list.bind(a.bucket), a.bucket.put.bind(a.bucket)];
    a.bucket.list = (prefix) => {
      calls.push(`list ${prefix.slice(a.prefix.length)}`);
      return list(prefix);
    };
    a.bucket.put = (key, body, type) => {
      calls.push(`put ${key.slice(a.prefix.length).split("/").slice(0, 2).join("/")}`);
      return put(key, body, type);
    };
    await write(join(ws, "new.md"), "new");
    const [written] = await Promise.all([a.backup.run("test"), a.backup.prune()]);
    expect(calls).toEqual([
      "put moltlab/packs",
      "put moltlab/snapshots",
      "put moltlab/latest.json",
      "list moltlab/snapshots/",
      "list moltlab/objects/",
      "list moltlab/packs/",
    ]);
    const target = await setup(a.prefix);
    expect(await restoreHere(target)).toMatchObject({ source: "snapshot", id: written.id, skipped: [] });
    expect(await readFile(join(target.roots[1]!.dir, "new.md"), "utf8")).toBe("new");
  });

  it("another container pruning the bucket while this one uploads leaves its new packs alone (grace period)", async () => {
    const a = await setup();
    const ws = a.roots[1]!.dir;
    for (const version of ["one", "two"]) {
      await write(join(ws, "MEMORY.md"), version);
      await a.backup.run("test");
    }
    // The other container: its own Backup on the same bucket and prefix, keeping one snapshot.
    const other = new Backup({ roots: a.roots, bucket: a.bucket, log: a.log, stagingDir: join(a.home, ".cache-other"), maxFileBytes: 1 << 20, keep: 1 });
    // It prunes right after this backup's packs are up and before its manifest is written.
    const put = a.bucket.put.bind(a.bucket);
    let pruned = false;
    a.bucket.put = async (key, body, contentType) => {
      if (key.includes("/snapshots/") && !pruned) {
        pruned = true;
        await other.prune();
      }
      return put(key, body, contentType);
    };
    await write(join(ws, "MEMORY.md"), "three");
    const third = await a.backup.run("test");
    expect(pruned).toBe(true);
    const target = await setup(a.prefix);
    expect(await restoreHere(target)).toMatchObject({ source: "snapshot", id: third.id, skipped: [] });
    expect(await readFile(join(target.roots[1]!.dir, "MEMORY.md"), "utf8")).toBe("three");
  });
});

describe("what is backed up", { timeout: 30_000 }, () => {
  /** User files that merely look like runtime litter: all of them are data. */
  const userFiles = [
    "repo/Cargo.lock",
    "repo/yarn.lock",
    "repo/poetry.lock",
    "repo/flake.lock",
    "repo/uv.lock",
    "repo/.git/logs/HEAD",
    "repo/.git/logs/refs/stash",
    "tmp/scratch.txt",
    "logs/app.txt",
    "notes.log",
    "build.tmp",
    "server.pid",
    "app/node_modules/left-pad/index.js",
  ];
  /** OpenClaw's own runtime files in its state dir (see scan.ts for where each comes from). */
  const openclawRuntime = [
    "tmp/openclaw-0/gateway.0123abcd.lock",
    "tmp/openclaw-0/gateway.state.lock",
    "logs/commands.log",
    "openclaw.json.lock",
    "npm/projects/openclaw-plugin-x/node_modules/openclaw-plugin-x/index.js",
    "extensions/my-plugin/node_modules/dep/index.js",
    "agents/main/agent/tmp/upload.bin",
    "cache/control-ui-assets/c2efe869e786/assets/index-CkvqX.js.br",
    "cache/control-ui-assets/.staging-19-0e748512/index.html",
  ];
  /** Next to those, in the state dir, and kept. */
  const openclawData = [
    "openclaw.json",
    "npm/projects/openclaw-plugin-x/package.json",
    "extensions/my-plugin/index.js",
    "browser/openclaw/user-data/Default/Preferences",
    "agents/main/agent/models.json",
    "workspace-coding/Cargo.lock",
    "workspace-coding/tmp/keep.txt",
    "cache/other-cache/kept.bin",
  ];

  it("keeps user files named like lock files, logs and temp files; leaves out only OpenClaw's own runtime files", async () => {
    const a = await setup();
    const [state, ws] = [a.roots[0]!.dir, a.roots[1]!.dir];
    for (const path of userFiles) await write(join(ws, path), `user file ${path}\n`);
    for (const path of [...openclawRuntime, ...openclawData]) await write(join(state, path), `openclaw file ${path}\n`);
    await mkdir(join(state, "browser", "openclaw", "user-data"), { recursive: true });
    await symlink("buildhost-4242", join(state, "browser", "openclaw", "user-data", "SingletonLock"));
    await symlink("/tmp/.org.chromium.Chromium.x/SingletonCookie", join(state, "browser", "openclaw", "user-data", "SingletonCookie"));

    const result = await a.backup.run("test");
    expect(result).toMatchObject({ ok: true, changed: true });
    const { target } = await restoreInto(a);
    const restoredWs = await tree(target.roots[1]!.dir);
    expect(Object.keys(restoredWs).sort()).toEqual([...userFiles].sort());
    expect(restoredWs).toEqual(await tree(ws));
    const restoredState = Object.keys(await tree(target.roots[0]!.dir)).filter((path) => !path.startsWith("workspace/"));
    expect(restoredState.sort()).toEqual([...openclawData].sort());
    expect(await pathsIn(a, result.id!, "openclaw")).not.toContain("browser/openclaw/user-data/SingletonLock");
    expect(await pathsIn(a, result.id!, "openclaw")).not.toContain("browser/openclaw/user-data/SingletonCookie");
  });

  it("the watcher ignores exactly what the scan leaves out", () => {
    const [openclaw, workspace] = [
      { name: "openclaw", dir: "/s" },
      { name: "workspace", dir: "/s/workspace" },
    ];
    for (const path of [...openclawRuntime, "browser/openclaw/user-data/SingletonLock", "tmp/openclaw-0", "openclaw.json.moltlab-tmp"]) {
      expect(isIgnoredEvent(openclaw, path), path).toBe(true);
    }
    for (const path of openclawData) expect(isIgnoredEvent(openclaw, path), path).toBe(false);
    for (const path of userFiles) expect(isIgnoredEvent(workspace, path), path).toBe(false);
    expect(isIgnoredEvent(workspace, "notes.md.moltlab-tmp")).toBe(true);
  });
});

/** The SQLite header and then garbage: opens, but every read fails with "file is not a database". */
const CORRUPT_DATABASE = Buffer.concat([Buffer.from("SQLite format 3\0", "latin1"), Buffer.alloc(4080, 0xff)]);

describe("files that cannot be read", { timeout: 30_000 }, () => {
  const warnings = (from: Setup, path: string) => from.logs.filter((line) => line.level === "warn" && line.path === path);

  it("do not stall the backup: skipped, reported, their previous version kept, retried until they can be read", async () => {
    const a = await setup(undefined, undefined, { sqliteTimeoutMs: 50 });
    const [state, ws] = [a.roots[0]!.dir, a.roots[1]!.dir];
    await write(join(ws, "MEMORY.md"), "v1");
    await write(join(ws, "broken.sqlite"), CORRUPT_DATABASE);
    const dbPath = join(state, "agents", "main", "agent", "openclaw-agent.sqlite");
    await mkdir(join(dbPath, ".."), { recursive: true });
    createDatabase(dbPath, 1, "delete").close();

    // A file never backed up that cannot be read: left out, reported, the rest is a snapshot.
    const first = await a.backup.run("test");
    expect(first).toMatchObject({ ok: true, changed: true, skippedCount: 1 });
    expect(first.skipped).toEqual([{ root: "workspace", path: "broken.sqlite", keptPrevious: false, reason: expect.stringMatching(/not a database/) }]);
    expect(await pathsIn(a, first.id!, "workspace")).not.toContain("broken.sqlite");
    expect(await pathsIn(a, first.id!, "openclaw")).toContain("agents/main/agent/openclaw-agent.sqlite");

    // The database changes, then another connection holds an exclusive lock longer than the copy waits.
    const writer = new DatabaseSync(dbPath);
    writer.prepare("INSERT INTO t (x) VALUES (2)").run();
    writer.exec("BEGIN EXCLUSIVE");
    try {
      await write(join(ws, "MEMORY.md"), "v2");
      const second = await a.backup.run("test");
      expect(second).toMatchObject({ ok: true, changed: true, skippedCount: 2 });
      expect(second.skipped).toEqual([
        {
          root: "openclaw",
          path: "agents/main/agent/openclaw-agent.sqlite",
          keptPrevious: true,
          reason: expect.stringMatching(/locked by another connection for longer than 50 ms/),
        },
        { root: "workspace", path: "broken.sqlite", keptPrevious: false, reason: expect.stringMatching(/not a database/) },
      ]);
      const previousEntry = (await manifestOf(a, first.id!)).roots.openclaw!.find((entry) => entry.path === "agents/main/agent/openclaw-agent.sqlite");
      expect((await manifestOf(a, second.id!)).roots.openclaw).toContainEqual(previousEntry);
      const { target } = await restoreInto(a);
      expect(await readFile(join(target.roots[1]!.dir, "MEMORY.md"), "utf8")).toBe("v2");
      expect(rowCount(join(target.roots[0]!.dir, "agents", "main", "agent", "openclaw-agent.sqlite"))).toBe(1);

      // Still failing: one warning per path, when it started failing, not one per run.
      expect(await a.backup.run("test")).toMatchObject({ ok: true, changed: false, skippedCount: 2 });
      expect(warnings(a, "broken.sqlite")).toHaveLength(1);
      expect(warnings(a, "agents/main/agent/openclaw-agent.sqlite")).toHaveLength(1);
      expect(warnings(a, "agents/main/agent/openclaw-agent.sqlite")[0]).toMatchObject({
        root: "openclaw",
        keptPrevious: true,
        msg: expect.stringContaining("keeps its previous version"),
      });
    } finally {
      writer.exec("COMMIT");
      writer.close();
    }

    // The lock is gone: the next run backs the database up again, and says so.
    const fourth = await a.backup.run("test");
    expect(fourth).toMatchObject({ ok: true, changed: true, skippedCount: 1 });
    expect(a.logs).toContainEqual(
      expect.objectContaining({ level: "info", path: "agents/main/agent/openclaw-agent.sqlite", msg: expect.stringContaining("backed up again") }),
    );
    const { target } = await restoreInto(a);
    expect(rowCount(join(target.roots[0]!.dir, "agents", "main", "agent", "openclaw-agent.sqlite"))).toBe(2);
  });

  it("with a reader (the gateway user), include nothing that user could not read itself; the previous versions stay", async () => {
    const agent = { uid: 4242, gids: [4242] };
    const a = await setup(undefined, undefined, { reader: agent });
    const ws = a.roots[1]!.dir;
    await write(join(ws, "MEMORY.md"), "v1");
    await write(join(ws, "secret.txt"), "readable at first");
    await write(join(ws, "private", "diary.md"), "readable at first");
    await write(join(ws, "own.txt"), "the agent's own file, mode 000");
    await chown(join(ws, "own.txt"), agent.uid, agent.gids[0]!);
    await chmod(join(ws, "own.txt"), 0o000);
    const first = await a.backup.run("test");
    expect(first).toMatchObject({ ok: true, changed: true, skippedCount: 0, skipped: [] });

    // Now root-only: a file (changed too) and a folder; and a new root-only file.
    await write(join(ws, "MEMORY.md"), "v2");
    await write(join(ws, "secret.txt"), "root's new secret");
    await chmod(join(ws, "secret.txt"), 0o600);
    await chmod(join(ws, "private"), 0o700);
    await write(join(ws, "new-secret.txt"), "never readable");
    await chmod(join(ws, "new-secret.txt"), 0o600);
    const second = await a.backup.run("test");
    expect(second).toMatchObject({ ok: true, changed: true, skippedCount: 3 });
    expect(second.skipped).toEqual([
      { root: "workspace", path: "new-secret.txt", keptPrevious: false, reason: expect.stringMatching(/uid 4242.*mode 0600/) },
      { root: "workspace", path: "private", keptPrevious: true, reason: expect.stringMatching(/uid 4242.*mode 0700/) },
      { root: "workspace", path: "secret.txt", keptPrevious: true, reason: expect.stringMatching(/uid 4242.*mode 0600/) },
    ]);
    const { target } = await restoreInto(a);
    const restored = target.roots[1]!.dir;
    expect(await readFile(join(restored, "MEMORY.md"), "utf8")).toBe("v2");
    expect(await readFile(join(restored, "secret.txt"), "utf8")).toBe("readable at first");
    expect(await readFile(join(restored, "private", "diary.md"), "utf8")).toBe("readable at first");
    expect(await readFile(join(restored, "own.txt"), "utf8")).toBe("the agent's own file, mode 000");
    expect(await lstat(join(restored, "new-secret.txt")).catch(() => null)).toBeNull();

    // Readable again: backed up again, with the current content.
    await chmod(join(ws, "secret.txt"), 0o644);
    await chmod(join(ws, "private"), 0o755);
    await rm(join(ws, "new-secret.txt"));
    expect(await a.backup.run("test")).toMatchObject({ ok: true, changed: true, skippedCount: 0 });
    const again = await restoreInto(a);
    expect(await readFile(join(again.target.roots[1]!.dir, "secret.txt"), "utf8")).toBe("root's new secret");
  });

  it("are reported up to a bound, with the total", async () => {
    const a = await setup();
    for (let i = 0; i < 60; i++) await write(join(a.roots[1]!.dir, `broken-${String(i).padStart(2, "0")}.sqlite`), CORRUPT_DATABASE);
    await write(join(a.roots[1]!.dir, "MEMORY.md"), "fine");
    const result = await a.backup.run("test");
    expect(result).toMatchObject({ ok: true, changed: true, skippedCount: 60 });
    expect(result.skipped).toHaveLength(50);
    expect(result.skipped![0]).toMatchObject({ path: "broken-00.sqlite" });
    expect(await pathsIn(a, result.id!, "workspace")).toEqual(["MEMORY.md"]);
  });
});

describe("SQLite", { timeout: 30_000 }, () => {
  it("recognises a database by its header whatever its name: a WAL-mode `History` round-trips with rows only in its WAL", async () => {
    const a = await setup();
    const profile = join(a.roots[0]!.dir, "browser", "openclaw", "user-data", "Default");
    await mkdir(profile, { recursive: true });
    const history = join(profile, "History");
    const db = createDatabase(history, 30, "wal");
    try {
      expect((await stat(`${history}-wal`)).size).toBeGreaterThan(0);
      expect(await isSqliteDatabase(history)).toBe(true);
      const result = await a.backup.run("test");
      expect(result).toMatchObject({ ok: true, changed: true });
      const paths = await pathsIn(a, result.id!, "openclaw");
      expect(paths).toContain("browser/openclaw/user-data/Default/History");
      expect(paths.filter((path) => /History-(wal|shm)$/.test(path))).toEqual([]);
    } finally {
      db.close();
    }
    const { target } = await restoreInto(a);
    expect(rowCount(join(target.roots[0]!.dir, "browser", "openclaw", "user-data", "Default", "History"))).toBe(30);
  });

  it("backs a database up again when only its WAL changed (the main file untouched)", async () => {
    const a = await setup();
    const path = join(a.roots[1]!.dir, "agent.sqlite");
    await mkdir(a.roots[1]!.dir, { recursive: true });
    const db = createDatabase(path, 5, "wal");
    try {
      expect(await a.backup.run("test")).toMatchObject({ ok: true, changed: true });
      const main = await stat(path);
      db.prepare("INSERT INTO t (x) VALUES (6)").run();
      expect(await stat(path)).toMatchObject({ size: main.size, mtimeMs: main.mtimeMs });
      expect(await a.backup.run("test")).toMatchObject({ ok: true, changed: true });
    } finally {
      db.close();
    }
    const { target } = await restoreInto(a);
    expect(rowCount(join(target.roots[1]!.dir, "agent.sqlite"))).toBe(6);
  });

  it("keeps -journal/-wal/-shm files whose base file is not a database: `notes` and `notes-journal` both round-trip", async () => {
    const a = await setup();
    const ws = a.roots[1]!.dir;
    await write(join(ws, "notes"), "plain notes\n");
    await write(join(ws, "notes-journal"), "my journal, not SQLite's\n");
    await write(join(ws, "data.db"), "not a database either\n");
    await write(join(ws, "data.db-wal"), "a file that only looks like a sidecar\n");
    expect(await a.backup.run("test")).toMatchObject({ ok: true, changed: true });
    const { target } = await restoreInto(a);
    expect(await tree(target.roots[1]!.dir)).toEqual(await tree(ws));
  });

  it("never creates a database: one deleted between the scan and the copy stays deleted", async () => {
    const a = await setup();
    const path = join(a.roots[1]!.dir, "gone.sqlite");
    await mkdir(a.roots[1]!.dir, { recursive: true });
    createDatabase(path, 3, "wal").close();
    expect(await isSqliteDatabase(path)).toBe(true);
    await rm(path);
    const copy = join(a.home, "copy.sqlite");
    const attempt = copySqliteDatabase(path, copy);
    await expect(attempt).rejects.toMatchObject({ code: "ENOENT" });
    expect(await readdir(a.roots[1]!.dir)).toEqual([]);
    expect(await lstat(copy).catch(() => null)).toBeNull();
  });
});

describe("restore", { timeout: 30_000 }, () => {
  /** A file's content: small ones go into packs, large ones are their own objects. */
  const content = (version: string, large: boolean) => (large ? version + "x".repeat(PACK_FILE_LIMIT) : version);

  /** Two snapshots: "old" then "new" content of one file, and the restored file's expected content. */
  async function twoSnapshots(large: boolean) {
    const a = await setup();
    const file = join(a.roots[1]!.dir, "MEMORY.md");
    await write(file, content("old", large));
    const older = await a.backup.run("test");
    await write(file, content("new", large));
    const newer = await a.backup.run("test");
    return { a, older: older.id!, newer: newer.id!, keys: new SnapshotKeys(a.prefix) };
  }

  /** The pack holding the newest snapshot's one file, and the manifest. */
  async function packOf(keys: SnapshotKeys, id: string) {
    const manifest = JSON.parse(await getText(keys.snapshot(id))) as Manifest;
    const pack = fileEntries(manifest)[0]!.pack!;
    return { manifest, pack, key: keys.pack(pack), body: await getBytes(keys.pack(pack)) };
  }

  const corruptions: Array<[string, boolean, (keys: SnapshotKeys, newest: string) => Promise<void>, RegExp]> = [
    ["a truncated manifest", false, (keys, id) => put(keys.snapshot(id), '{"format":"moltlab-snapshot/2","id":'), /manifest is not valid JSON/],
    ["a missing pack", false, async (keys, id) => deleteKey((await packOf(keys, id)).key), /^pack [0-9a-f]{64} is missing$/],
    [
      "a truncated pack",
      false,
      async (keys, id) => {
        const { key, body } = await packOf(keys, id);
        await put(key, body.subarray(0, -1));
      },
      /^pack [0-9a-f]{64} is 2 bytes, the manifest says 3 \(truncated or replaced\)$/,
    ],
    [
      "a flipped bit in a pack",
      false,
      async (keys, id) => {
        const { key, body } = await packOf(keys, id);
        body[1]! ^= 0x01;
        await put(key, body);
      },
      /^pack [0-9a-f]{64} fails the checksum of MEMORY.md \(bytes 0–3\)$/,
    ],
    [
      "a manifest naming a pack it does not list",
      false,
      async (keys, id) => {
        const { manifest } = await packOf(keys, id);
        await put(keys.snapshot(id), JSON.stringify({ ...manifest, packs: {} }));
      },
      /MEMORY.md: names pack [0-9a-f]{64}, which the manifest does not list/,
    ],
    [
      "a manifest naming bytes beyond its pack",
      false,
      async (keys, id) => {
        const { manifest, pack } = await packOf(keys, id);
        await put(keys.snapshot(id), JSON.stringify({ ...manifest, packs: { [pack]: { size: 2 } } }));
      },
      /MEMORY.md: lies beyond the end of pack [0-9a-f]{64}/,
    ],
    ["a missing object", true, (keys) => deleteObjectOf(keys, content("new", true)), /^object [0-9a-f]{64} \(MEMORY.md\) is missing$/],
    ["a checksum mismatch", true, (keys) => put(keys.object(sha(content("new", true))), "tampered"), /fails its checksum/],
  ];

  for (const [what, large, corrupt, problem] of corruptions) {
    it(`falls back to the previous snapshot past ${what}, and says so`, async () => {
      const { a, older, newer, keys } = await twoSnapshots(large);
      await corrupt(keys, newer);
      const { target, outcome } = await restoreInto(a);
      expect(outcome).toMatchObject({ source: "snapshot", id: older, skipped: [{ id: newer, problem: expect.stringMatching(problem) }] });
      expect(await readFile(join(target.roots[1]!.dir, "MEMORY.md"), "utf8")).toBe(content("old", large));
      expect(target.logs).toContainEqual(
        expect.objectContaining({ level: "warn", msg: expect.stringMatching(new RegExp(`snapshot ${newer} is unusable .*falling back to the previous one`)) }),
      );
    });
  }

  for (const [where, memory] of [
    ["held in memory", {}],
    ["streamed to staging", { packMemoryBytes: 0 }],
  ] as const) {
    it(`touches nothing local when one pack ${where} fails its check, the other packs being good`, async () => {
      const a = await setup();
      for (let i = 0; i < 600; i++) await write(join(a.roots[1]!.dir, "data", `f${i}.bin`), randomBytes(16 * 1024));
      const id = (await a.backup.run("test")).id!;
      const keys = new SnapshotKeys(a.prefix);
      const packs = Object.keys((await manifestOf(a, id)).packs!);
      expect(packs).toHaveLength(2);
      // The last byte of a pack belongs to its last file.
      const damaged = await getBytes(keys.pack(packs[1]!));
      damaged[damaged.length - 1]! ^= 0x01;
      await put(keys.pack(packs[1]!), damaged);
      const target = await setup(a.prefix);
      // A restore applied would delete the first and replace the second.
      await write(join(target.roots[1]!.dir, "local.md"), "mine");
      await write(join(target.roots[1]!.dir, "data", "f0.bin"), "local f0");
      const local = await tree(target.roots[1]!.dir);
      await expect(restoreHere(target, memory)).rejects.toThrow(/none of the 1 snapshot\(s\) in the bucket can be restored/);
      expect(await tree(target.roots[1]!.dir)).toEqual(local);
      expect(Object.keys(local).sort()).toEqual(["data/f0.bin", "local.md"]);
      expect(target.logs).toContainEqual(
        expect.objectContaining({ level: "warn", problem: expect.stringMatching(/^pack [0-9a-f]{64} fails the checksum of data\/f\d+\.bin/) }),
      );
    });
  }

  it("restores from packs streamed to staging as from packs held in memory", async () => {
    const a = await setup();
    for (let i = 0; i < 600; i++) await write(join(a.roots[1]!.dir, "data", `f${i}.bin`), randomBytes(16 * 1024));
    const id = (await a.backup.run("test")).id!;
    const target = await setup(a.prefix);
    expect(await restoreHere(target, { packMemoryBytes: 9 * 1024 * 1024 })).toMatchObject({ source: "snapshot", id, files: 600 });
    expect(await tree(target.roots[1]!.dir)).toEqual(await tree(a.roots[1]!.dir));
  });

  it("refuses when no snapshot is usable, leaving local files alone", async () => {
    const { a, older, newer, keys } = await twoSnapshots(false);
    await put(keys.snapshot(older), "not json");
    await put(keys.snapshot(newer), "not json");
    const target = await setup(a.prefix);
    await write(join(target.roots[1]!.dir, "local.md"), "mine");
    const attempt = restore({ roots: target.roots, bucket: target.bucket, log: target.log, stagingDir: join(target.home, ".cache"), allowFreshStart: false });
    await expect(attempt).rejects.toThrow(/none of the 2 snapshot\(s\) in the bucket can be restored; refusing to start/);
    expect(await readFile(join(target.roots[1]!.dir, "local.md"), "utf8")).toBe("mine");
  });

  it("starts fresh on an empty bucket", async () => {
    const a = await setup();
    const { outcome, target } = await restoreInto(a);
    expect(outcome).toMatchObject({ source: "empty", files: 0 });
    expect(target.logs).toContainEqual(expect.objectContaining({ msg: expect.stringContaining("fresh start") }));
  });

  it("reads moltworker's plain layout: openclaw/, workspace/, skills/", async () => {
    const a = await setup();
    await put(`${a.prefix}openclaw/openclaw.json`, '{"gateway":{"port":18789}}');
    await put(`${a.prefix}openclaw/agents/main/agent/auth-profiles.json`, "{}");
    await put(`${a.prefix}workspace/MEMORY.md`, "from moltworker");
    await put(`${a.prefix}skills/hello/SKILL.md`, "# hello");
    const { target, outcome } = await restoreInto(a);
    expect(outcome).toMatchObject({ source: "moltworker", prefixes: ["openclaw/", "workspace/", "skills/"], files: 4 });
    const state = target.roots[0]!.dir;
    expect(await readFile(join(state, "openclaw.json"), "utf8")).toBe('{"gateway":{"port":18789}}');
    expect(await readFile(join(state, "workspace", "MEMORY.md"), "utf8")).toBe("from moltworker");
    expect(await readFile(join(state, "workspace", "skills", "hello", "SKILL.md"), "utf8")).toBe("# hello");
    // The first backup after it uploads everything into a snapshot; the plain folders are left as they were.
    expect(await target.backup.run("test")).toMatchObject({ ok: true, changed: true });
    expect(await target.bucket.list(`${a.prefix}openclaw/`)).toHaveLength(2);
  });

  it("reads the legacy clawdbot/ folder when openclaw/ is absent, adopting clawdbot.json", async () => {
    const a = await setup();
    await put(`${a.prefix}clawdbot/clawdbot.json`, '{"legacy":true}');
    await put(`${a.prefix}clawdbot/credentials/x.json`, "{}");
    const { target, outcome } = await restoreInto(a);
    expect(outcome).toMatchObject({ source: "moltworker", prefixes: ["clawdbot/"] });
    expect(await readFile(join(target.roots[0]!.dir, "openclaw.json"), "utf8")).toBe('{"legacy":true}');
    expect(await readFile(join(target.roots[0]!.dir, "credentials", "x.json"), "utf8")).toBe("{}");
  });

  it("prefers our snapshot over moltworker's folders when both exist", async () => {
    const { a } = await twoSnapshots(false);
    await put(`${a.prefix}workspace/MEMORY.md`, "stale moltworker copy");
    const { target, outcome } = await restoreInto(a);
    expect(outcome.source).toBe("snapshot");
    expect(await readFile(join(target.roots[1]!.dir, "MEMORY.md"), "utf8")).toBe("new");
  });
});

/**
 * The bucket may be written by someone else, and the restore will run as root: no manifest,
 * and no symlink already in a root, may make it write, create or chmod anything outside the
 * roots. Each attack below wrote outside before manifests were validated whole and writes
 * stopped following links.
 */
describe("restore never writes outside its roots", { timeout: 30_000 }, () => {
  const HOSTILE_ID = "20991231T235959999Z-0bad00";

  /** A good snapshot (MEMORY.md = "good"), then a hostile one that sorts after it. */
  async function goodThenHostile(roots: (outside: string) => Record<string, EntrySpec[]>) {
    const a = await setup();
    await write(join(a.roots[1]!.dir, "MEMORY.md"), "good");
    const good = (await a.backup.run("test")).id!;
    const outside = await outsideFolder();
    await putSnapshot(a, HOSTILE_ID, roots(outside));
    return { a, good, outside, before: await fingerprint(outside) };
  }

  const attacks: Array<[string, (outside: string) => Record<string, EntrySpec[]>, RegExp]> = [
    [
      "a file below a folder that an earlier entry created and a later one made a symlink",
      (outside) => ({ workspace: [file("a/b/c", "x"), link("a/b", outside), file("a/b/.bashrc", "evil")] }),
      /workspace: a\/b comes after a\/b\/c/,
    ],
    [
      "a symlink at the temp name a file is written through",
      (outside) => ({ workspace: [link("notes.md.moltlab-tmp", join(outside, "victim")), file("notes.md", "evil", 0o666)] }),
      /workspace: notes\.md comes after notes\.md\.moltlab-tmp/,
    ],
    [
      "a folder whose parent becomes a symlink before the folder modes are set",
      (outside) => ({ workspace: [dir("p", 0o755), dir("p/q", 0o777), link("p", outside)] }),
      /workspace: p comes after p\/q/,
    ],
    [
      "a folder listed again as a symlink, then written below",
      (outside) => ({ workspace: [dir("s"), link("s", outside), file("s/evil", "evil")] }),
      /workspace: s is listed twice/,
    ],
    [
      "a symlink where another root is restored",
      (outside) => ({ workspace: [file("MEMORY.md", "evil"), link("skills", outside)], skills: [file("evil", "evil")] }),
      /workspace: skills is where the root skills is restored/,
    ],
  ];

  for (const [what, roots, problem] of attacks) {
    it(`refuses a snapshot with ${what}, falling back to the previous one`, async () => {
      const { a, good, outside, before } = await goodThenHostile(roots);
      const { target, outcome } = await restoreInto(a);
      expect(await fingerprint(outside)).toEqual(before);
      expect(outcome).toMatchObject({ source: "snapshot", id: good, skipped: [{ id: HOSTILE_ID, problem: expect.stringMatching(problem) }] });
      expect(await readFile(join(target.roots[1]!.dir, "MEMORY.md"), "utf8")).toBe("good");
    });
  }

  it("writes no file through a local symlink at a temp name (temp files are new, random and never followed)", async () => {
    const a = await setup();
    await write(join(a.roots[1]!.dir, "MEMORY.md"), "good");
    const good = (await a.backup.run("test")).id!;
    const outside = await outsideFolder();
    const before = await fingerprint(outside);
    const target = await setup(a.prefix);
    // The scan leaves *.moltlab-tmp alone, so a planted one survives the deletion pass.
    await mkdir(target.roots[1]!.dir, { recursive: true });
    await symlink(join(outside, "victim"), join(target.roots[1]!.dir, "MEMORY.md.moltlab-tmp"));
    const outcome = await restoreHere(target);
    expect(await fingerprint(outside)).toEqual(before);
    expect(outcome).toMatchObject({ source: "snapshot", id: good });
    expect(await readFile(join(target.roots[1]!.dir, "MEMORY.md"), "utf8")).toBe("good");
    expect((await lstat(join(target.roots[1]!.dir, "MEMORY.md"))).isFile()).toBe(true);
  });

  it("replaces what is at a file's path (a planted symlink, dangling or not, a file, a folder), following nothing", async () => {
    const a = await setup();
    const ws = a.roots[1]!.dir;
    for (const name of ["MEMORY.md", "dangling.md", "notes/a.md", "data.md"]) await write(join(ws, name), `good ${name}`);
    const good = (await a.backup.run("test")).id!;
    const outside = await outsideFolder();
    const before = await fingerprint(outside);
    const target = await setup(a.prefix);
    const local = target.roots[1]!.dir;
    await mkdir(join(local, "notes"), { recursive: true });
    // The new files are created exclusively and without following links: each of these makes that fail, and the file is replaced instead.
    await symlink(join(outside, "victim"), join(local, "MEMORY.md"));
    await symlink(join(outside, "created-through-link"), join(local, "dangling.md"));
    await write(join(local, "notes", "a.md"), "local version");
    await write(join(local, "data.md", "inside"), "a folder where the snapshot has a file");
    const outcome = await restoreHere(target);
    expect(outcome).toMatchObject({ source: "snapshot", id: good, files: 4 });
    expect(await fingerprint(outside)).toEqual(before);
    for (const name of ["MEMORY.md", "dangling.md", "notes/a.md", "data.md"]) {
      expect((await lstat(join(local, name))).isFile()).toBe(true);
      expect(await readFile(join(local, name), "utf8")).toBe(`good ${name}`);
    }
    // What the restore wrote needs no new upload: the first backup finds every file as it left it.
    target.backup.seed(outcome.manifest, outcome.known);
    expect(await target.backup.run("test")).toMatchObject({ ok: true, changed: false, uploaded: 0 });
  });

  it("refuses to restore into a root whose folder is a local symlink", async () => {
    const a = await setup();
    const outside = await outsideFolder();
    const before = await fingerprint(outside);
    // No openclaw root in this snapshot, so nothing removes the symlinked workspace first.
    await putSnapshot(a, HOSTILE_ID, { workspace: [file("MEMORY.md", "evil")] });
    const target = await setup(a.prefix);
    await mkdir(target.roots[0]!.dir, { recursive: true });
    await symlink(outside, target.roots[1]!.dir);
    const attempt = restoreHere(target);
    await attempt.catch(() => undefined);
    expect(await fingerprint(outside)).toEqual(before);
    await expect(attempt).rejects.toThrow(/refusing to restore root workspace: .*\/\.openclaw\/workspace is a symlink/);
  });

  it("refuses moltworker's layout where a local folder is a symlink", async () => {
    const a = await setup();
    const outside = await outsideFolder();
    const before = await fingerprint(outside);
    await put(`${a.prefix}workspace/x/evil.md`, "evil");
    const target = await setup(a.prefix);
    await mkdir(target.roots[1]!.dir, { recursive: true });
    await symlink(outside, join(target.roots[1]!.dir, "x"));
    const attempt = restoreHere(target);
    await attempt.catch(() => undefined);
    expect(await fingerprint(outside)).toEqual(before);
    await expect(attempt).rejects.toBeInstanceOf(RestoreError);
    await expect(attempt).rejects.toThrow(/refusing to write through the symlink .*\/workspace\/x/);
  });

  it("does not adopt a clawdbot.json that is a symlink", async () => {
    const a = await setup();
    const outside = await outsideFolder();
    const before = await fingerprint(outside);
    await put(`${a.prefix}clawdbot/credentials/x.json`, "{}");
    const target = await setup(a.prefix);
    await mkdir(target.roots[0]!.dir, { recursive: true });
    await symlink(join(outside, "victim"), join(target.roots[0]!.dir, "clawdbot.json"));
    expect(await restoreHere(target)).toMatchObject({ source: "moltworker", prefixes: ["clawdbot/"] });
    await expect(lstat(join(target.roots[0]!.dir, "openclaw.json"))).rejects.toThrow(/ENOENT/);
    expect(target.logs).toContainEqual(expect.objectContaining({ level: "warn", msg: expect.stringMatching(/clawdbot\.json .*not a regular file/) }));
    expect(await fingerprint(outside)).toEqual(before);
  });
});

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("restore owner (chown needs root: skipped when the tests do not run as root)", { timeout: 30_000 }, () => {
  const owner = { uid: 12345, gid: 23456 };

  /** Every path under dir, dir included, whose owner is not `owner` (lstat: links themselves). */
  async function notOwned(dir: string): Promise<string[]> {
    const wrong: string[] = [];
    for (const rel of ["", ...(await readdir(dir, { recursive: true }))]) {
      const stats = await lstat(join(dir, rel));
      if (stats.uid !== owner.uid || stats.gid !== owner.gid) wrong.push(`${rel || "."} ${stats.uid}:${stats.gid}`);
    }
    return wrong;
  }

  it("gives every file, folder and symlink of a snapshot restore to the owner, modes intact", async () => {
    const a = await setup();
    const [state, ws] = [a.roots[0]!.dir, a.roots[1]!.dir];
    await write(join(state, "openclaw.json"), "{}");
    await write(join(ws, "deep", "er", "run.sh"), "#!/bin/sh\n");
    await chmod(join(ws, "deep", "er", "run.sh"), 0o750);
    await mkdir(join(ws, "empty"));
    await symlink("deep/er/run.sh", join(ws, "link"));
    await write(join(state, "workspace", "skills", "s", "SKILL.md"), "# s");
    await a.backup.run("test");
    const target = await setup(a.prefix);
    expect(await restoreHere(target, { owner })).toMatchObject({ source: "snapshot" });
    expect(await notOwned(target.roots[0]!.dir)).toEqual([]);
    expect((await lstat(join(target.roots[1]!.dir, "deep", "er", "run.sh"))).mode & 0o7777).toBe(0o750);
    expect(await readlink(join(target.roots[1]!.dir, "link"))).toBe("deep/er/run.sh");
  });

  it("gives moltworker's layout, and the adopted clawdbot.json, to the owner", async () => {
    const a = await setup();
    await put(`${a.prefix}clawdbot/clawdbot.json`, "{}");
    await put(`${a.prefix}workspace/a/b/c.md`, "c");
    const target = await setup(a.prefix);
    expect(await restoreHere(target, { owner })).toMatchObject({ source: "moltworker" });
    expect(await readFile(join(target.roots[0]!.dir, "openclaw.json"), "utf8")).toBe("{}");
    expect(await notOwned(target.roots[0]!.dir)).toEqual([]);
  });
});

describe("R2 outages", { timeout: 30_000 }, () => {
  it("at boot: a clear error naming the endpoint, nothing restored or deleted", async () => {
    const port = await freePort(); // nothing listens there
    const a = await setup(undefined, { endpoint: `http://127.0.0.1:${port}` });
    await write(join(a.roots[1]!.dir, "local.md"), "mine");
    const attempt = restore({ roots: a.roots, bucket: a.bucket, log: a.log, stagingDir: join(a.home, ".cache"), allowFreshStart: true });
    await expect(attempt).rejects.toBeInstanceOf(RestoreError);
    await expect(attempt).rejects.toThrow(
      new RegExp(`R2 bucket moltbot-data at http://127.0.0.1:${port} could not be read .*refusing to start with empty state`),
    );
    expect(await readFile(join(a.roots[1]!.dir, "local.md"), "utf8")).toBe("mine");
  });

  it("at backup time: retried, logged, reported as failed, local data untouched; the next backup succeeds", async () => {
    const outage = await startR2();
    const line = await tcpSwitch(outage.port);
    const endpoint = outage.endpoint.replace(`:${outage.port}/`, `:${line.port}/`);
    const a = await setup(undefined, { endpoint, accessKeyId: outage.accessKeyId, secretAccessKey: outage.secretAccessKey });
    try {
      const file = join(a.roots[1]!.dir, "MEMORY.md");
      await write(file, "v1");
      expect(await a.backup.run("test")).toMatchObject({ ok: true });
      line.down();

      await write(file, "v2");
      const failed = await a.backup.run("test");
      expect(failed).toMatchObject({ ok: false, changed: false, error: expect.any(String) });
      expect(a.logs).toContainEqual(
        expect.objectContaining({ level: "warn", phase: "r2", msg: expect.stringMatching(/^R2 put .* failed, retrying$/), attempt: 1, of: 2 }),
      );
      expect(a.logs).toContainEqual(expect.objectContaining({ level: "error", msg: expect.stringContaining("backup failed; local files are untouched") }));
      expect(await readFile(file, "utf8")).toBe("v2");

      line.up();
      expect(await a.backup.run("test")).toMatchObject({ ok: true, changed: true });
    } finally {
      await line.close();
      await outage.stop();
    }
  });
});

/** A manifest entry as a test writes it: files by their content. */
type EntrySpec = { path: string; type: "file"; content: string; mode: number } | DirEntry | LinkEntry;
const file = (path: string, content: string, mode = 0o644): EntrySpec => ({ path, type: "file", content, mode });
const dir = (path: string, mode = 0o755): EntrySpec => ({ path, type: "dir", mode });
const link = (path: string, target: string): EntrySpec => ({ path, type: "symlink", target });

/** Writes a snapshot by hand, objects first, as anyone able to write the bucket could. */
async function putSnapshot(s: Setup, id: string, roots: Record<string, EntrySpec[]>, format: string = MANIFEST_FORMAT): Promise<void> {
  const keys = new SnapshotKeys(s.prefix);
  const manifestRoots: Record<string, unknown[]> = {};
  for (const [name, specs] of Object.entries(roots)) {
    manifestRoots[name] = [];
    for (const spec of specs) {
      if (spec.type !== "file") {
        manifestRoots[name].push(spec);
        continue;
      }
      await put(keys.object(sha(spec.content)), spec.content);
      manifestRoots[name].push({ path: spec.path, type: "file", sha256: sha(spec.content), size: Buffer.byteLength(spec.content), mode: spec.mode });
    }
  }
  await put(keys.snapshot(id), JSON.stringify({ format, id, createdAt: new Date().toISOString(), roots: manifestRoots }));
}

/** A folder outside every root (a file, a subfolder, tight modes): what hostile symlinks point at. */
async function outsideFolder(): Promise<string> {
  const outside = await tempDir("outside");
  dirs.push(outside);
  await writeFile(join(outside, "victim"), "untouched");
  await chmod(join(outside, "victim"), 0o600);
  await mkdir(join(outside, "q"));
  await chmod(join(outside, "q"), 0o700);
  await chmod(outside, 0o700);
  return outside;
}

/** What a write, delete or chmod through a symlink would change in a folder: names, types, modes, owners, bytes. */
async function fingerprint(folder: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of ["", ...(await readdir(folder, { recursive: true }))]) {
    const abs = join(folder, rel);
    const stats = await lstat(abs);
    out[rel || "."] = `${stats.mode.toString(8)} ${stats.uid}:${stats.gid}${stats.isFile() ? ` ${await readFile(abs, "base64")}` : ""}`;
  }
  return out;
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

async function deleteObjectOf(keys: SnapshotKeys, content: string): Promise<void> {
  await deleteKey(keys.object(sha(content)));
}

async function deleteKey(key: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: r2.bucket, Key: key }));
}

async function getBytes(key: string): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({ Bucket: r2.bucket, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

async function getText(key: string): Promise<string> {
  return (await getBytes(key)).toString("utf8");
}

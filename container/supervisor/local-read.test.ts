/**
 * Reading one file for a backup when the supervisor has more rights than the agent whose
 * files it reads: what a swap after the scan can and cannot make it read. Tests run as root,
 * like the supervisor will, so "not readable" is decided by the reader check, not by EACCES.
 */
import { chmod, chown, lstat, mkdir, readdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { readLocalFile, type ReadOptions } from "./local-read.ts";
import { isGone, scanRoot, type LocalEntry } from "./scan.ts";
import { removeDirs, tempDir } from "./testing/harness.ts";

const dirs: string[] = [];
afterEach(() => removeDirs(dirs));

const AGENT = { uid: 4242, gids: [4242] };
const SECRET = "root's secret: never uploaded\n";

/** A root holding `files`, a secret outside it, and a staging folder. */
async function layout(files: Record<string, string>) {
  const base = await tempDir("read");
  dirs.push(base);
  const root = join(base, "root");
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), content);
  }
  const outside = join(base, "outside");
  await mkdir(outside);
  await writeFile(join(outside, "secret.txt"), SECRET);
  const work = join(base, "work");
  await mkdir(work);
  return { base, root, outside, work };
}

async function scanned(root: string, path: string): Promise<LocalEntry> {
  const entry = (await scanRoot(root, [], Number.MAX_SAFE_INTEGER)).entries.find((entry) => entry.path === path);
  if (!entry) throw new Error(`${path} not scanned`);
  return entry;
}

const read = (entry: LocalEntry, options: Omit<ReadOptions, "expectedPath">) => readLocalFile(entry.abs, { ...options, expectedPath: entry.real });

describe("readLocalFile", () => {
  it("does not follow a file swapped for a symlink after the scan", async () => {
    const { root, outside, work } = await layout({ "notes.md": "mine\n" });
    const entry = await scanned(root, "notes.md");
    await rm(entry.abs);
    await symlink(join(outside, "secret.txt"), entry.abs);
    const attempt = read(entry, { work });
    await expect(attempt).rejects.toThrow(/symbolic link/);
    await expect(attempt).rejects.not.toThrow(/never uploaded/);
    expect(await readdir(work)).toEqual([]);
  });

  it("does not read through a folder swapped for a symlink after the scan", async () => {
    const { root, outside, work } = await layout({ "dir/secret.txt": "mine\n" });
    const entry = await scanned(root, "dir/secret.txt");
    await rename(join(root, "dir"), join(root, "old-dir"));
    await symlink(outside, join(root, "dir"));
    await expect(read(entry, { work })).rejects.toThrow(/folder on its path was replaced/);
  });

  it("does not read a FIFO swapped in for a file (and does not block on it)", async () => {
    const { root, work } = await layout({ pipe: "was a file\n" });
    const entry = await scanned(root, "pipe");
    await rm(entry.abs);
    const { execFileSync } = await import("node:child_process");
    execFileSync("mkfifo", [entry.abs]);
    await expect(read(entry, { work })).rejects.toThrow(/not a regular file/);
  });

  it("with a reader, refuses what that user could not read itself, naming uid and mode", async () => {
    const { root, work } = await layout({ "root-only.txt": SECRET, "agents-own.txt": "mine, mode 000\n", "group.txt": "group-readable\n" });
    await chmod(join(root, "root-only.txt"), 0o600);
    await chown(join(root, "agents-own.txt"), AGENT.uid, AGENT.gids[0]!);
    await chmod(join(root, "agents-own.txt"), 0o000);
    await chown(join(root, "group.txt"), 0, AGENT.gids[0]!);
    await chmod(join(root, "group.txt"), 0o640);

    const refused = read(await scanned(root, "root-only.txt"), { work, reader: AGENT });
    await expect(refused).rejects.toThrow(/not readable by the gateway user \(uid 4242.*\): owner uid 0.*mode 0600/);
    // Its owner could chmod it anyway: mode 000 is no protection from the agent.
    expect((await read(await scanned(root, "agents-own.txt"), { work, reader: AGENT })).buffer?.toString()).toBe("mine, mode 000\n");
    expect((await read(await scanned(root, "group.txt"), { work, reader: AGENT })).buffer?.toString()).toBe("group-readable\n");
    // Without a reader (supervisor and gateway are one user) there is no check.
    expect((await read(await scanned(root, "root-only.txt"), { work })).buffer?.toString()).toBe(SECRET);
  });

  it("copies large files through the same descriptor into the staging folder", async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 7).toString();
    const { root, work } = await layout({ "big.bin": big });
    const content = await read(await scanned(root, "big.bin"), { work, reader: AGENT });
    expect(content).toMatchObject({ size: big.length, path: expect.stringContaining(work) });
    expect(content.buffer).toBeUndefined();
  });

  it("reports a database deleted between the scan and the copy as gone, without recreating it", async () => {
    const { root, work } = await layout({});
    await mkdir(root, { recursive: true });
    const path = join(root, "state.sqlite");
    const db = new DatabaseSync(path);
    db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1)");
    db.close();
    const entry = await scanned(root, "state.sqlite");
    await rm(path);
    const error = await read(entry, { work }).catch((error: unknown) => error);
    expect(isGone(error)).toBe(true);
    expect(await lstat(path).catch(() => null)).toBeNull();
    expect(await readdir(root)).toEqual([]);
  });
});

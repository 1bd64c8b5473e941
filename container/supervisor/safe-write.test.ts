/**
 * The restore's write primitives on their own: whatever the manifest checks let through, or a
 * local symlink planted in a root, no write, chmod or copy follows a link.
 */
import { execFileSync } from "node:child_process";
import { chmod, lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { copyFileSafely, realFolders, setFolderMode, UnsafePathError } from "./safe-write.ts";
import { removeDirs, tempDir } from "./testing/harness.ts";

const dirs: string[] = [];
let root: string;
let outside: string;

beforeEach(async () => {
  root = await tempDir("safe-write-root");
  outside = await tempDir("safe-write-outside");
  dirs.push(root, outside);
  await writeFile(join(outside, "victim"), "untouched");
  await chmod(join(outside, "victim"), 0o600);
  await chmod(outside, 0o700);
});
afterEach(() => removeDirs(dirs));

const modeOf = async (path: string) => (await lstat(path)).mode & 0o7777;

describe("realFolders", () => {
  it("creates what is missing and refuses a symlink on the way, at every call (no cache)", async () => {
    realFolders(root, join(root, "a", "b"));
    expect((await lstat(join(root, "a", "b"))).isDirectory()).toBe(true);
    // Swapped for a symlink after an earlier call checked it:
    await rm(join(root, "a"), { recursive: true });
    await symlink(outside, join(root, "a"));
    const attempt = () => realFolders(root, join(root, "a", "b"));
    expect(attempt).toThrow(UnsafePathError);
    expect(attempt).toThrow(`refusing to write through the symlink ${join(root, "a")}`);
    expect(await readdir(outside)).toEqual(["victim"]);
  });

  it("refuses a file where a folder must be", async () => {
    await writeFile(join(root, "f"), "");
    expect(() => realFolders(root, join(root, "f", "sub"))).toThrow(`refusing to write below ${join(root, "f")}: it is not a folder`);
  });
});

describe("copyFileSafely", () => {
  it("replaces a symlink at the destination, not the file it names, with the exact mode", async () => {
    await writeFile(join(root, "source"), "restored");
    await symlink(join(outside, "victim"), join(root, "dest"));
    await copyFileSafely(join(root, "source"), join(root, "dest"), { mode: 0o640 });
    expect((await lstat(join(root, "dest"))).isFile()).toBe(true);
    expect(await readFile(join(root, "dest"), "utf8")).toBe("restored");
    expect(await modeOf(join(root, "dest"))).toBe(0o640);
    expect(await readFile(join(outside, "victim"), "utf8")).toBe("untouched");
    expect(await modeOf(join(outside, "victim"))).toBe(0o600);
    expect((await readdir(root)).sort()).toEqual(["dest", "source"]); // no temp file left
  });

  it("never restores a setuid or setgid bit (a bucket must not plant a set-id program)", async () => {
    await writeFile(join(root, "source"), "#!/bin/sh\n");
    await copyFileSafely(join(root, "source"), join(root, "tool"), { mode: 0o6755 });
    expect(await modeOf(join(root, "tool"))).toBe(0o755);
  });

  it("refuses to copy from a symlink or a FIFO (without hanging on it)", async () => {
    await symlink(join(outside, "victim"), join(root, "link"));
    await expect(copyFileSafely(join(root, "link"), join(root, "dest"))).rejects.toThrow(/refusing to copy .*link: it is not a regular file/);
    execFileSync("mkfifo", [join(root, "fifo")]);
    await expect(copyFileSafely(join(root, "fifo"), join(root, "dest"))).rejects.toThrow(/refusing to copy .*fifo: it is not a regular file/);
    await expect(lstat(join(root, "dest"))).rejects.toThrow(/ENOENT/);
  });
});

describe("setFolderMode", () => {
  it("sets a real folder's mode and refuses a symlink to one, leaving its target's mode alone", async () => {
    await mkdir(join(root, "d"));
    await setFolderMode(join(root, "d"), 0o750);
    expect(await modeOf(join(root, "d"))).toBe(0o750);
    await symlink(outside, join(root, "link"));
    await expect(setFolderMode(join(root, "link"), 0o777)).rejects.toThrow(`refusing to write through the symlink ${join(root, "link")}`);
    expect(await modeOf(outside)).toBe(0o700);
    expect(await readlink(join(root, "link"))).toBe(outside);
  });
});

/**
 * Writes for a restore that may run as root into folders an unprivileged user (the agent's
 * gateway) can prepare, from a bucket someone else may write. Following a symlink anywhere
 * would make such a restore a root-level write anywhere, so nothing here ever follows one:
 * - folders on the way are checked with lstat, component by component, right before each
 *   write: no cache that a later write could make stale;
 * - a new file is created at its path with O_CREAT|O_EXCL|O_NOFOLLOW (fails on anything there,
 *   a symlink included); anything else is replaced through a new, randomly named temp file
 *   opened the same way, then renamed into place (a rename replaces a symlink, never writes
 *   through it); owner and mode are set on the open descriptor;
 * - a folder's owner and mode are set on a descriptor opened O_DIRECTORY|O_NOFOLLOW (Linux has
 *   no lchmod: chmod on a path follows a symlink);
 * - symlinks are created and lchown'd, never followed.
 * Nothing is fsync'd: a restore cut short by a crash is redone from R2 at the next boot.
 *
 * The folder checks and the creation of a new file are synchronous: each is a few metadata
 * calls that take microseconds, and a restore makes thousands of them; through the thread
 * pool each call costs a promise and a hand-off that outweigh the call itself.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { chmod, lchown, lstat, open, rename, rm, symlink, type FileHandle } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import type { Readable } from "node:stream";

const { O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_WRONLY } = constants;

/** Who owns what a restore creates: the gateway's user when the supervisor runs as root. */
export interface FileOwner {
  uid: number;
  gid: number;
}

/** A write was refused because a path on the way is a symlink or not what it must be. */
export class UnsafePathError extends Error {
  override name = "UnsafePathError";
  readonly path: string;
  readonly found: "symlink" | "not a folder" | "not a regular file";
  constructor(path: string, found: UnsafePathError["found"], message: string) {
    super(message);
    this.path = path;
    this.found = found;
  }
}

function throughSymlink(path: string): UnsafePathError {
  return new UnsafePathError(path, "symlink", `refusing to write through the symlink ${path}`);
}

function belowNonFolder(path: string): UnsafePathError {
  return new UnsafePathError(path, "not a folder", `refusing to write below ${path}: it is not a folder`);
}

/**
 * Makes every folder from `base` (excluded: the caller vouches for it) down to `dir` a real
 * folder, creating the missing ones; a symlink or a file on the way is refused, not replaced.
 */
export function realFolders(base: string, dir: string, owner?: FileOwner): void {
  const rel = relative(base, dir);
  if (!rel) return;
  if (rel.startsWith("..") || isAbsolute(rel)) throw new Error(`${dir} is not inside ${base}`);
  let path = base;
  for (const part of rel.split(sep)) {
    path = join(path, part);
    realFolder(path, owner);
  }
}

function realFolder(path: string, owner?: FileOwner): void {
  let stats = lstatSync(path, { throwIfNoEntry: false });
  if (!stats) {
    try {
      createFolder(path, owner);
      return;
    } catch (error) {
      // Another write running in parallel (moltworker's layout) created it first.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      stats = lstatSync(path);
    }
  }
  if (stats.isSymbolicLink()) throw throughSymlink(path);
  if (!stats.isDirectory()) throw belowNonFolder(path);
}

/** A new folder (mkdir never follows a symlink in its last component: it fails with EEXIST). */
export function createFolder(path: string, owner?: FileOwner): void {
  mkdirSync(path);
  if (owner) lchownSync(path, owner.uid, owner.gid);
}

export async function createSymlink(target: string, path: string, owner?: FileOwner): Promise<void> {
  await symlink(target, path);
  if (owner) await lchown(path, owner.uid, owner.gid);
}

/**
 * Sets a folder's owner and mode through a descriptor that cannot be a symlink's target
 * (O_DIRECTORY|O_NOFOLLOW fails on one, with ENOTDIR or ELOOP). Opening needs read permission,
 * which a non-root restore may lack on a folder that already had a tight mode: then the folder
 * is checked with lstat and chmod'ed by path (nothing else runs during a boot-time restore to
 * swap it in between).
 */
export async function setFolderMode(path: string, mode: number, owner?: FileOwner): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    if (!["ELOOP", "ENOTDIR", "EACCES"].includes((error as NodeJS.ErrnoException).code ?? "")) throw error;
    const stats = await lstat(path);
    if (stats.isSymbolicLink()) throw throughSymlink(path);
    if (!stats.isDirectory()) throw belowNonFolder(path);
    if ((error as NodeJS.ErrnoException).code !== "EACCES") throw error;
    if (owner) await lchown(path, owner.uid, owner.gid);
    await chmod(path, mode);
    return;
  }
  try {
    // FileOwner first: a chown can clear set-id bits the mode asks for.
    if (owner) await handle.chown(owner.uid, owner.gid);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

/** setuid and setgid: dropped from every restored file's mode. */
export const SET_ID_BITS = 0o6000;

/**
 * Replaces `dest` with `data`, through a new temp file next to it that cannot be a link
 * (O_CREAT|O_EXCL|O_NOFOLLOW, a random name), renamed into place: a rename replaces a symlink,
 * never writes through it, and a crash never leaves half a file. The caller has checked dest's
 * folders (realFolders). Without a mode, the umask decides, as for any new file.
 */
export async function replaceFileSafely(dest: string, data: string | Buffer | Readable, options: { mode?: number; owner?: FileOwner } = {}): Promise<void> {
  const temp = join(dirname(dest), `.moltlab-${randomBytes(8).toString("hex")}.moltlab-tmp`);
  const output = await open(temp, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY, options.mode === undefined ? 0o666 : 0o600);
  try {
    try {
      if (options.owner) await output.chown(options.owner.uid, options.owner.gid);
      // Never set-id: a bucket must not be able to plant a setuid program (the supervisor may be root).
      if (options.mode !== undefined) await output.chmod(options.mode & ~SET_ID_BITS);
      await output.writeFile(data);
    } finally {
      await output.close();
    }
    await rename(temp, dest);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Creates `dest`, which must not exist, with `data`: O_CREAT|O_EXCL|O_NOFOLLOW fails on
 * anything already there, a symlink included, so nothing is followed or replaced. For a
 * restore into an empty place it spares the temp file and the rename; EEXIST tells the caller
 * to replace instead. Returns the new file's stats (taken before closing: nothing renames it after).
 */
export function createFileSafely(dest: string, data: Buffer, options: { mode: number; owner?: FileOwner }): Stats {
  const fd = openSync(dest, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY, 0o600);
  try {
    if (options.owner) fchownSync(fd, options.owner.uid, options.owner.gid);
    fchmodSync(fd, options.mode & ~SET_ID_BITS);
    for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done, done);
    return fstatSync(fd);
  } catch (error) {
    // Ours: created exclusively just above. A failure to remove it must not hide why the write failed.
    try {
      unlinkSync(dest);
    } catch {}
    throw error;
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `dest` with a copy of the regular file `source` (see replaceFileSafely). A source
 * that is a symlink is refused too: the restore must not copy a file it was pointed at (the
 * legacy clawdbot.json could name /etc/shadow).
 */
export async function copyFileSafely(source: string, dest: string, options: { mode?: number; owner?: FileOwner } = {}): Promise<void> {
  const input = await openRegularFile(source);
  try {
    await replaceFileSafely(dest, input.createReadStream({ autoClose: false, start: 0 }), options);
  } finally {
    await input.close();
  }
}

async function openRegularFile(path: string): Promise<FileHandle> {
  const notRegular = () => new UnsafePathError(path, "not a regular file", `refusing to copy ${path}: it is not a regular file`);
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO planted there must not hang the boot (regular files ignore it).
    handle = await open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") throw notRegular();
    throw error;
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw notRegular();
  }
  return handle;
}

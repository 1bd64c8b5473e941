/**
 * Reading one local file for a backup: the bytes to hash and upload, read once so hash and
 * upload agree even if the file changes meanwhile.
 *
 * The supervisor is meant to run as root while the gateway, and so a prompt-injected agent,
 * runs as its own user and can do anything to its own files. Between the scan and the read
 * the agent can swap a file, or a folder on its path, for a symlink to /proc/1/environ or a
 * root-only file: read with root's rights, uploaded, a later restore would hand its contents
 * to the agent. So every file is read through one descriptor opened without following a
 * symlink (O_NOFOLLOW) or blocking on a FIFO (O_NONBLOCK), and that descriptor must be:
 * - a regular file (fstat);
 * - the file the scan saw at that path: /proc/self/fd/<fd> names what was really opened, so
 *   a folder on the way swapped for a symlink (which O_NOFOLLOW does not cover) shows;
 * - readable by the gateway's user by owner, group and mode (when a reader is given), so we
 *   never upload more than the agent could read itself.
 * Hash and upload come from what was read through that descriptor.
 *
 * Opening, checking and reading a small file are synchronous calls: each takes microseconds
 * and a backup makes thousands, where a thread-pool round trip per call costs more than the
 * call (the backup awaits eventLoopTurns between files).
 */
import { createHash } from "node:crypto";
import { closeSync, constants, createReadStream, existsSync, fstatSync, openSync, readlinkSync, readSync, type Stats } from "node:fs";
import { lstat, open, readFile } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { createWriteStream } from "node:fs";
import { Transform } from "node:stream";
import { join } from "node:path";
import { copySqliteDatabase, DEFAULT_SQLITE_TIMEOUT_MS, SQLITE_HEADER_SIZE, startsWithSqliteHeader } from "./sqlite-copy.ts";

/** Files up to this size are read into memory, hashed and uploaded from that one buffer. */
export const IN_MEMORY_LIMIT = 4 * 1024 * 1024;

/** Linux names every open descriptor here; elsewhere (a developer's macOS) the path check is skipped. */
const PROC_FD = "/proc/self/fd";
export const HAS_PROC_FD = existsSync(PROC_FD);

/** The gateway's user: a file is backed up only if this user could read it itself. */
export interface Reader {
  uid: number;
  gids: number[];
}

export interface ReadOptions {
  /** Where large files and database copies are put (the backup's staging folder). */
  work: string;
  /** The canonical path the scan saw (root resolved): what the opened file must be. */
  expectedPath?: string;
  reader?: Reader;
  sqliteTimeoutMs?: number;
}

/** What was read: in memory, or a copy in `work` for large files. */
export interface LocalContent {
  buffer?: Buffer;
  path?: string;
  size: number;
  sha256: string;
}

/**
 * The content of the file at `abs`, or an error saying why it was not read (an ENOENT one,
 * see isGone, when it was deleted meanwhile).
 */
export async function readLocalFile(abs: string, options: ReadOptions): Promise<LocalContent> {
  const fd = openNoFollow(abs);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new Error(`not a regular file any more (${kindOf(stats)}): replaced after the scan; not read`);
    const unreadable = options.reader && unreadableReason(stats, options.reader, 0o4);
    if (unreadable) throw new Error(unreadable);
    checkOpenedPath(fd, options.expectedPath ?? abs);
    // A small file is read whole at once, and its first bytes tell whether it is a database; a large one is streamed after its header.
    const small = stats.size <= IN_MEMORY_LIMIT;
    const bytes = readAt(fd, small ? stats.size : SQLITE_HEADER_SIZE);
    if (startsWithSqliteHeader(bytes)) return await copyDatabase(abs, stats, options);
    return small ? inMemory(bytes) : await copyAside(fd, join(options.work, randomName()));
  } finally {
    closeSync(fd);
  }
}

/** Up to `size` bytes from the start of the file (fewer if it shrank since its fstat). */
function readAt(fd: number, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let done = 0;
  while (done < size) {
    const read = readSync(fd, buffer, done, size - done, done);
    if (read === 0) break;
    done += read;
  }
  return done < size ? buffer.subarray(0, done) : buffer;
}

function openNoFollow(abs: string): number {
  try {
    return openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw new Error("is a symbolic link now (replaced after the scan); not followed", { cause: error });
    // A socket swapped in: opening one fails with ENXIO.
    if (code === "ENXIO") throw new Error("not a regular file any more (a socket): replaced after the scan; not read", { cause: error });
    throw error;
  }
}

/**
 * Why `reader` could not read (need 0o4) or list (need 0o5) what `stats` describes, as the
 * kernel decides it: the owner's bits for its owner — who could chmod it anyway, so the owner
 * always may —, else the group's bits when the user is in its group, else the others' bits.
 * ACLs are not consulted. Undefined when the user could.
 */
export function unreadableReason(stats: Stats, reader: Reader, need: 0o4 | 0o5): string | undefined {
  if (reader.uid === 0 || stats.uid === reader.uid) return undefined;
  const bits = reader.gids.includes(stats.gid) ? (stats.mode >> 3) & 0o7 : stats.mode & 0o7;
  if ((bits & need) === need) return undefined;
  const mode = (stats.mode & 0o7777).toString(8).padStart(4, "0");
  return `not readable by the gateway user (uid ${reader.uid}, gids ${reader.gids.join(",")}): owner uid ${stats.uid}, gid ${stats.gid}, mode ${mode}; not backed up so the agent never gets back more than it could read`;
}

/** The opened file is the one at `expected`, not something reached through a swapped folder. */
function checkOpenedPath(fd: number, expected: string): void {
  if (!HAS_PROC_FD) return;
  const opened = readlinkSync(`${PROC_FD}/${fd}`);
  if (opened === expected) return;
  if (opened === `${expected} (deleted)`) throw Object.assign(new Error(`${expected} was deleted while being read`), { code: "ENOENT" });
  throw new Error(`opening it reached ${opened}: a folder on its path was replaced after the scan, probably by a symbolic link; not read`);
}

/**
 * A database goes through node:sqlite, which opens it by path (its -wal and -shm are found
 * by name): the descriptor was checked above, and afterwards the path must still be the same
 * file (dev/ino). Residual race: the agent could swap the path for a symlink to another
 * database between our check and SQLite's open and swap it back before the lstat below;
 * SQLite follows a symlink for the main database (not for -wal/-shm, which it refuses).
 * Closing it would mean copying in a process running as the gateway's user.
 */
async function copyDatabase(abs: string, checked: Stats, options: ReadOptions): Promise<LocalContent> {
  const aside = join(options.work, randomName());
  await copySqliteDatabase(abs, aside, options.sqliteTimeoutMs ?? DEFAULT_SQLITE_TIMEOUT_MS);
  const after = await lstat(abs);
  if (after.dev !== checked.dev || after.ino !== checked.ino) throw new Error("the database was replaced while it was being copied; not backed up this run");
  const copied = await open(aside, "r");
  try {
    const { size } = await copied.stat();
    return size <= IN_MEMORY_LIMIT ? inMemory(await readFile(aside)) : { path: aside, size, sha256: await hashFile(aside) };
  } finally {
    await copied.close();
  }
}

/** A large file copied through the descriptor into the staging folder, hashed on the way. */
async function copyAside(fd: number, aside: string): Promise<LocalContent> {
  const hash = createHash("sha256");
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(createReadStream("", { fd, start: 0, autoClose: false }), hasher, createWriteStream(aside, { mode: 0o600 }));
  return { path: aside, size, sha256: hash.digest("hex") };
}

function inMemory(buffer: Buffer): LocalContent {
  return { buffer, size: buffer.length, sha256: createHash("sha256").update(buffer).digest("hex") };
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  const handle = await open(path, "r");
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

function randomName(): string {
  return Math.random().toString(36).slice(2);
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return "a folder";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isSocket()) return "a socket";
  if (stats.isSymbolicLink()) return "a symbolic link";
  return "a device";
}

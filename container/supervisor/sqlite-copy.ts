/**
 * SQLite databases are copied with SQLite's online backup API (node:sqlite `backup()`),
 * never byte by byte: OpenClaw keeps them in WAL mode, and a file-by-file copy of a live
 * database plus its -wal can miss the last writes or not open at all. The backup reads
 * through SQLite's own locking, so it sees every committed transaction, including those
 * still only in the WAL, and never blocks or checkpoints the gateway's connection.
 *
 * A database is recognised by its 16-byte header, whatever its name: browsers name theirs
 * `History` or `Cookies`, and an ordinary file called `x.db` is not a database.
 */
import { constants } from "node:fs";
import { lstat, open, type FileHandle } from "node:fs/promises";
import { backup, DatabaseSync } from "node:sqlite";

const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");
/** Files beside a database that belong to it; they are never copied on their own. */
export const SQLITE_SIDECARS = ["-wal", "-shm", "-journal"] as const;
/** How long a copy waits for a lock another connection holds before giving up on this run. */
export const DEFAULT_SQLITE_TIMEOUT_MS = 10_000;
/** SQLITE_CANTOPEN: what opening a database that is not there (any more) fails with. */
const SQLITE_CANTOPEN = 14;

export const SQLITE_HEADER_SIZE = SQLITE_HEADER.length;

/** Whether a file's first bytes (at least SQLITE_HEADER_SIZE of them, if it has as many) are SQLite's header. */
export function startsWithSqliteHeader(bytes: Buffer): boolean {
  return bytes.length >= SQLITE_HEADER.length && bytes.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER);
}

/** Whether the first bytes of a file are SQLite's header. */
export async function hasSqliteHeader(handle: FileHandle): Promise<boolean> {
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const { bytesRead } = await handle.read(header, 0, header.length, 0);
  return startsWithSqliteHeader(header.subarray(0, bytesRead));
}

/**
 * A database file, by its header (an empty file or one with another format is an ordinary
 * file). Opened without following a symlink and without blocking on a FIFO.
 */
export async function isSqliteDatabase(path: string): Promise<boolean> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    return (await handle.stat()).isFile() && (await hasSqliteHeader(handle));
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

/**
 * A consistent copy of a live database at `destination`.
 *
 * The connection is read-only, so it can never create the database: a read-write open of
 * a path deleted a moment earlier would recreate it as an empty file. Verified with
 * node:sqlite on Node 24 (SQLite 3.53): a read-only connection sees rows that are only in
 * the -wal while -shm exists; with the -wal but no -shm (after a crash) it still recovers
 * the WAL, creating the -shm (as root, owned by the database's owner, as SQLite does); on
 * close it leaves the -wal alone (no checkpoint). SQLite refuses a -wal or -shm that is a
 * symlink. A database missing when opened fails with an ENOENT error (isGone).
 */
export async function copySqliteDatabase(source: string, destination: string, timeoutMs = DEFAULT_SQLITE_TIMEOUT_MS): Promise<void> {
  const db = await openReadOnly(source, timeoutMs);
  try {
    // Read the schema first: a lock held longer than `timeoutMs` fails here with SQLite's
    // own "database is locked", while backup() reports that case as "not an error".
    db.prepare("SELECT count(*) FROM sqlite_schema").get();
    // One step for the whole database: copied in small steps, every write by the gateway
    // in between would restart the backup.
    await backup(db, destination, { rate: 2 ** 30 });
  } catch (error) {
    throw new Error(`SQLite online backup failed: ${sqliteProblem(error, timeoutMs)}`, { cause: error });
  } finally {
    db.close();
  }
}

async function openReadOnly(source: string, timeoutMs: number): Promise<DatabaseSync> {
  try {
    return new DatabaseSync(source, { readOnly: true, timeout: timeoutMs });
  } catch (error) {
    if ((error as { errcode?: number }).errcode === SQLITE_CANTOPEN && !(await lstat(source).catch(() => null))) {
      throw Object.assign(new Error(`${source} was deleted before it could be copied`), { code: "ENOENT" });
    }
    throw new Error(`SQLite could not open the database read-only: ${(error as Error).message}`, { cause: error });
  }
}

function sqliteProblem(error: unknown, timeoutMs: number): string {
  const { message, errcode } = error as { message?: string; errcode?: number };
  if (/locked|busy/i.test(message ?? "")) return `the database stayed locked by another connection for longer than ${timeoutMs} ms (${message})`;
  if (!errcode || message === "not an error") return `SQLite gave no cause; most likely the database stayed locked longer than ${timeoutMs} ms`;
  return message ?? String(error);
}

/**
 * SQLite databases are copied with SQLite's online backup API (node:sqlite `backup()`),
 * never byte by byte: OpenClaw keeps them in WAL mode, and a file-by-file copy of a live
 * database plus its -wal can miss the last writes or not open at all. The backup reads
 * through SQLite's own locking, so it sees every committed transaction, including those
 * still only in the WAL, and never blocks or checkpoints the gateway's connection.
 */
import { open } from "node:fs/promises";
import { backup, DatabaseSync } from "node:sqlite";

const SQLITE_NAME = /\.(sqlite|sqlite3|db)$/i;
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");
/** Files beside a database that belong to it; they are never copied on their own. */
export const SQLITE_SIDECARS = ["-wal", "-shm", "-journal"] as const;

/** A database file, by name and by its 16-byte header (an empty or foreign .db is an ordinary file). */
export async function isSqliteDatabase(path: string): Promise<boolean> {
  if (!SQLITE_NAME.test(path)) return false;
  let handle;
  try {
    handle = await open(path, "r");
    const header = Buffer.alloc(SQLITE_HEADER.length);
    const { bytesRead } = await handle.read(header, 0, header.length, 0);
    return bytesRead === header.length && header.equals(SQLITE_HEADER);
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

/** A consistent copy of a live database at `destination`. */
export async function copySqliteDatabase(source: string, destination: string): Promise<void> {
  // Not readOnly: a read-only connection cannot recover a WAL whose -shm is missing.
  const db = new DatabaseSync(source, { timeout: 10_000 });
  try {
    // One step for the whole database: copied in small steps, every write by the gateway
    // in between would restart the backup.
    await backup(db, destination, { rate: 2 ** 30 });
  } finally {
    db.close();
  }
}

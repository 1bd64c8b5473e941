/**
 * A folder only the supervisor can use (root's, mode 0700): where restores are staged and
 * large files copied before upload. In a folder the agent can write it could replace a staged
 * file with a link to a secret between the supervisor's write and its read.
 */
import { chmod, lstat, mkdir } from "node:fs/promises";

/** Creates `dir` (0700) or checks an existing one; a problem text when it is not private. */
export async function preparePrivateDir(dir: string): Promise<string | null> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stats = await lstat(dir);
  if (!stats.isDirectory()) return `MOLTLAB_STAGING_DIR ${dir} is not a directory (a link?): point it at a folder only root can write`;
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid)
    return `MOLTLAB_STAGING_DIR ${dir} belongs to uid ${stats.uid}, not to the supervisor (uid ${uid}): point it at a folder only root can write`;
  if ((stats.mode & 0o077) !== 0) await chmod(dir, 0o700);
  return null;
}

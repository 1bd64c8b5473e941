/**
 * A recursive file watcher made of one inotify watch per folder: fs.watch on every folder
 * under a root, each reporting its own entries by name.
 *
 * Not `fs.watch(root, { recursive: true })`: on Linux, Node 24 implements that in JavaScript
 * with a watch on every file, attached to the file's inode. After an atomic replace (write a
 * temp file, rename it over the old one) the watch stays on the replaced inode, and later
 * in-place writes to the new file are never reported; errors while it starts (ENOSPC at the
 * kernel's watch limit) are swallowed, leaving folders silently unwatched. A folder's watch
 * reports creation, removal, renames, writes and metadata changes of its entries whatever
 * their inode, and costs one watch per folder instead of one per file.
 */
import { type Dirent, type FSWatcher, lstatSync, readdirSync, watch } from "node:fs";
import { join } from "node:path";

export interface TreeWatchOptions {
  /** Whether a path (relative to the root, "/"-separated) is left out: not reported, and as a folder not watched. */
  ignore(path: string): boolean;
  /** Something changed at `path` (relative to the root; "" for the root itself). */
  onChange(path: string): void;
  /** The watch ended after it started (the root was removed, a new folder could not be watched): changes may go unreported. */
  onError(error: Error): void;
}

/** A real folder (not a symlink to one); false for anything else, including paths that cannot be looked at. */
function isFolder(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    // ENOENT, or ENOTDIR when a folder on the way was replaced by a file: not a folder now.
    return false;
  }
}

export interface TreeWatcher {
  close(): void;
}

/** Watches `root` and every folder below it; throws, watching nothing, if one of them cannot be watched now. */
export function watchTree(root: string, options: TreeWatchOptions): TreeWatcher {
  /** Watched folders by path relative to the root ("" for the root). */
  const watchers = new Map<string, FSWatcher>();
  let starting = true;
  let closed = false;

  const close = () => {
    closed = true;
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };

  const fail = (error: Error) => {
    if (starting) throw error;
    close();
    options.onError(error);
  };

  /** Stops watching `rel` and the folders below it (removed, or renamed away). */
  const forget = (rel: string) => {
    for (const [path, watcher] of watchers) {
      if (path === rel || path.startsWith(`${rel}/`)) {
        watcher.close();
        watchers.delete(path);
      }
    }
  };

  /** Watches the folder `rel` and the folders below it. */
  const add = (rel: string) => {
    if (closed || watchers.has(rel)) return;
    const abs = rel ? join(root, rel) : root;
    let watcher: FSWatcher;
    try {
      watcher = watch(abs, (event, filename) => onEvent(rel, event, filename?.toString() ?? null));
    } catch (error) {
      // Removed or replaced by a file right after it appeared: its parent's event reports that.
      const code = (error as NodeJS.ErrnoException).code;
      if (rel && (code === "ENOENT" || code === "ENOTDIR")) return;
      fail(error as Error);
      return;
    }
    watcher.on("error", (error) => {
      if (rel) {
        // A watched subfolder that went away; its parent reports the removal.
        forget(rel);
        options.onChange(rel);
      } else fail(error);
    });
    watchers.set(rel, watcher);
    // Listed after its watch exists: a folder created in between is listed here or reported by it.
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return; // gone again; reported by the parent
    }
    for (const entry of entries) {
      // Dirent types come from the folder itself: a symlink to a folder is not followed.
      if (!entry.isDirectory()) continue;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (!options.ignore(child)) add(child);
    }
  };

  const onEvent = (rel: string, event: string, filename: string | null) => {
    if (closed) return;
    if (filename === null) {
      options.onChange(rel);
      return;
    }
    const path = rel ? `${rel}/${filename}` : filename;
    if (options.ignore(path)) return;
    if (event === "rename") {
      // Created, removed or renamed: watch a new folder, forget one that is gone.
      if (isFolder(join(root, path))) add(path);
      else forget(path);
      // The root itself removed (its watch reports its own name): nothing left to watch.
      if (!rel && !isFolder(root)) {
        options.onChange("");
        fail(new Error(`${root} was removed`));
        return;
      }
    }
    if (!closed) options.onChange(path);
  };

  try {
    add("");
  } catch (error) {
    close();
    throw error;
  }
  starting = false;
  return { close };
}

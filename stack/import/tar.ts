/**
 * A tar (or .tar.gz) of an OpenClaw state directory, as a Kubernetes volume backup gives it,
 * unpacked into a private temp folder for the import to back up. The archive is read twice:
 * first every header is checked (no absolute path, no `..`, no link leaving the archive, no
 * entry below a link) and only if all of them pass is anything written, so a hostile archive
 * leaves nothing behind. Parsing is tar-stream's (pax and GNU long names included); the
 * checks and writes are ours. Symbolic links are created last, so no write goes through one.
 */
import { createReadStream } from "node:fs";
import { chmod, copyFile, mkdir, open, stat, symlink } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { extract, type Header } from "tar-stream";
import { UserError } from "../../core/errors.ts";

/** What an archive holds, checked: entries in archive order, by their normalised relative path. */
export interface TarListing {
  entries: TarEntry[];
  /** Devices and FIFOs: not data, not unpacked. */
  skipped: string[];
  gzip: boolean;
}

export interface TarEntry {
  path: string;
  type: "file" | "directory" | "symlink" | "link";
  mode: number;
  size: number;
  /** symlink: its target as stored; link (hard link): the archive path it names. */
  linkname?: string;
}

/** Bytes of the archive read so far, of its size on disk. */
export type TarProgress = (read: number, total: number) => void;

const GZIP_MAGIC = [0x1f, 0x8b];

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    return head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

/** Streams every header (and, with `onEntry`, every body) of the archive; bodies not consumed are skipped. */
async function readArchive(path: string, onEntry: (header: Header, body: Readable) => Promise<void>, progress?: TarProgress): Promise<boolean> {
  const gzip = await isGzip(path);
  const total = (await stat(path)).size;
  let read = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      read += chunk.length;
      progress?.(read, total);
      done(null, chunk);
    },
  });
  const tar = extract();
  const consume = (async () => {
    for await (const entry of tar) {
      await onEntry(entry.header, entry as unknown as Readable);
      entry.resume();
    }
  })();
  try {
    await Promise.all([pipeline(createReadStream(path), counter, ...(gzip ? [createGunzip()] : []), tar as unknown as NodeJS.WritableStream), consume]);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      `${path} could not be read as a ${gzip ? "gzip-compressed " : ""}tar archive (${(error as Error).message})`,
      "pass the state folder itself, or a .tar / .tar.gz of it (e.g. `tar -czf state.tar.gz -C ~/.openclaw .`)",
    );
  }
  return gzip;
}

/**
 * Checks every header before anything is written: each problem is collected, and any problem
 * refuses the whole archive, naming the entries (the first 10).
 */
export async function listTar(path: string, progress?: TarProgress): Promise<TarListing> {
  const entries: TarEntry[] = [];
  const skipped: string[] = [];
  const problems: string[] = [];
  /** Archive paths that are a symlink or a file: nothing may be below them. */
  const leaves = new Map<string, string>();
  const files = new Set<string>();
  const gzip = await readArchive(
    path,
    async (header) => {
      const problem = headerProblem(header, leaves, files);
      if (problem) {
        problems.push(problem);
        return;
      }
      const name = normalise(header.name);
      if (name === "") return; // the archive's own "./"
      if (isInstallLink(header)) {
        skipped.push(`${name} (OpenClaw's link into its own install, recreated at start)`);
        return;
      }
      if (!isData(header.type)) {
        skipped.push(`${name} (a ${header.type}, not data)`);
        return;
      }
      const type = header.type === "contiguous-file" ? "file" : (header.type as TarEntry["type"]);
      if (type === "symlink") leaves.set(name, "symbolic link");
      else if (type === "file" || type === "link") {
        leaves.set(name, "file");
        files.add(name);
      }
      entries.push({
        path: name,
        type,
        mode: header.mode & 0o777,
        size: type === "file" ? header.size : 0,
        ...(type === "symlink" ? { linkname: header.linkname } : type === "link" ? { linkname: normalise(header.linkname) } : {}),
      });
    },
    progress,
  );
  if (problems.length) {
    const shown = problems.slice(0, 10).map((problem) => `  - ${problem}`);
    const more = problems.length > 10 ? [`  … and ${problems.length - 10} more`] : [];
    throw new UserError(
      `${path} is refused: ${problems.length} entr${problems.length === 1 ? "y" : "ies"} could write outside the folder it unpacks into, and nothing was written:\n${[...shown, ...more].join("\n")}`,
      "make the archive from inside the state folder with relative paths and no links leaving it (`tar -czf state.tar.gz -C ~/.openclaw .`), or pass the folder itself",
    );
  }
  return { entries, skipped, gzip };
}

/**
 * OpenClaw links each bundled plugin's skills into `plugin-skills/` with an absolute path into
 * its own install (…/node_modules/openclaw/dist/extensions/…), and points them at the running
 * install on every start (measured: 2026.7.35's links, re-pointed by 2026.9.6). Every state a
 * volume backup holds has them, and they lead outside the archive: they are left out rather than
 * refusing the archive, since the OpenClaw that boots on the import makes its own.
 */
function isInstallLink(header: Header): boolean {
  const parts = normalise(header.name).split("/");
  return (
    header.type === "symlink" &&
    parts.length >= 2 &&
    parts[parts.length - 2] === "plugin-skills" &&
    /^\/.*\/node_modules\/openclaw\/dist\/extensions\//.test(header.linkname ?? "")
  );
}

function isData(type: Header["type"]): boolean {
  return type === "file" || type === "contiguous-file" || type === "directory" || type === "symlink" || type === "link";
}

/** "./a/b/" → "a/b"; an absolute or `..` path is kept as is for the check to refuse. */
function normalise(name: string): string {
  let path = name.replace(/\/+$/, "");
  while (path.startsWith("./")) path = path.slice(2);
  return path === "." ? "" : path;
}

function headerProblem(header: Header, leaves: ReadonlyMap<string, string>, files: ReadonlySet<string>): string | undefined {
  const raw = header.name;
  if (isInstallLink(header)) return undefined;
  if (raw.startsWith("/")) return `${raw}: absolute path`;
  const name = normalise(raw);
  if (name === "") return undefined;
  if (name.includes("\0") || name.includes("\\")) return `${JSON.stringify(raw)}: NUL or backslash in the name`;
  if (name.split("/").some((part) => part === "..")) return `${raw}: \`..\` in the path`;
  const parts = name.split("/");
  for (let i = 1; i < parts.length; i++) {
    const ancestor = parts.slice(0, i).join("/");
    const leaf = leaves.get(ancestor);
    if (leaf) return `${raw}: below the ${leaf} ${ancestor} (a write there would go through it)`;
  }
  if (leaves.get(name) === "symbolic link" || (header.type === "symlink" && leaves.has(name))) return `${raw}: listed twice, once as a symbolic link`;
  if (header.type === "symlink") {
    const target = header.linkname ?? "";
    if (!target) return `${raw}: symbolic link without a target`;
    if (target.startsWith("/")) return `${raw}: symbolic link to the absolute path ${target}, outside the archive`;
    const resolved = posix.normalize(posix.join(posix.dirname(name), target));
    if (resolved === ".." || resolved.startsWith("../")) return `${raw}: symbolic link to ${target}, which points outside the archive`;
    // `..` after a name could climb out through another link ("b/.." with b → "."): only leading ones, which walk real folders.
    const parts = target.split("/").filter((part) => part !== "" && part !== ".");
    const firstName = parts.findIndex((part) => part !== "..");
    if (firstName >= 0 && parts.slice(firstName).includes(".."))
      return `${raw}: symbolic link to ${target}, with \`..\` after a name (it could leave the archive through another link)`;
  }
  if (header.type === "link") {
    const target = header.linkname ?? "";
    if (target.startsWith("/")) return `${raw}: hard link to the absolute path ${target}`;
    const resolved = normalise(target);
    if (!resolved || resolved.split("/").some((part) => part === "..")) return `${raw}: hard link to ${target}, outside the archive`;
    if (!files.has(resolved)) return `${raw}: hard link to ${target}, which is not a file earlier in the archive`;
  }
  return undefined;
}

/**
 * Unpacks a checked archive into `dest` (an empty private folder): folders, then files as they
 * come, hard links as copies, symbolic links last, folder modes last (deepest first).
 * No setuid/setgid bits, no owners: the import reads the files as the user running it.
 */
export async function unpackTar(path: string, listing: TarListing, dest: string, progress?: TarProgress): Promise<void> {
  const wanted = new Map(listing.entries.map((entry) => [entry.path, entry]));
  const dirs = listing.entries.filter((entry) => entry.type === "directory");
  for (const dir of dirs) await mkdir(join(dest, dir.path), { recursive: true, mode: 0o700 });
  await readArchive(
    path,
    async (header, body) => {
      const entry = wanted.get(normalise(header.name));
      if (!entry || header.type === "symlink" || header.type === "link" || header.type === "directory") return;
      const abs = join(dest, entry.path);
      await mkdir(dirname(abs), { recursive: true, mode: 0o700 });
      // Streamed: a volume may hold files of gigabytes.
      const file = await open(abs, "w", 0o600);
      try {
        for await (const chunk of body) await file.write(chunk as Buffer);
      } finally {
        await file.close();
      }
      await chmod(abs, entry.mode);
    },
    progress,
  );
  for (const entry of listing.entries) {
    if (entry.type !== "link") continue;
    const abs = join(dest, entry.path);
    await mkdir(dirname(abs), { recursive: true, mode: 0o700 });
    await copyFile(join(dest, entry.linkname!), abs);
  }
  for (const entry of listing.entries) {
    if (entry.type !== "symlink") continue;
    const abs = join(dest, entry.path);
    await mkdir(dirname(abs), { recursive: true, mode: 0o700 });
    await symlink(entry.linkname!, abs);
  }
  for (const dir of [...dirs].reverse()) await chmod(join(dest, dir.path), dir.mode | 0o700);
}

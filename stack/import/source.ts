/**
 * What `moltlab import <path>` was given, turned into the supervisor's backup roots — the
 * folders a container restores to ~/.openclaw (openclaw), ~/.openclaw/workspace (workspace),
 * ~/.openclaw/workspace/skills (skills) and ~/.config/openclaw (openclaw-config):
 *
 * - an OpenClaw state folder (what ~/.openclaw holds: openclaw.json, agents/, …);
 * - a tar or .tar.gz of one, as a volume backup gives it (unpacked first, see tar.ts; a single
 *   folder at its top, such as `.openclaw/` or `home/node/.openclaw/`, is looked into);
 * - moltworker's bucket layout copied to a folder (`rclone copy r2:moltbot-data ./dump`):
 *   openclaw/ (or the older clawdbot/), workspace/, skills/.
 *
 * The container nests the roots (the workspace inside the state folder, skills inside the
 * workspace), and a restore refuses a snapshot whose entries land inside another root: a
 * folder given twice (openclaw/workspace/ and workspace/ both) is refused here, naming both.
 */
import { lstat, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UserError } from "../../core/errors.ts";
import type { BackupRoot } from "../../container/supervisor/env.ts";

export type SourceKind = "state-dir" | "tar" | "moltworker";

export interface ImportSource {
  kind: SourceKind;
  /** What the user named. */
  path: string;
  /** The folder holding the state (for a tar: inside the unpacked copy). */
  stateDir: string;
  roots: BackupRoot[];
  /** Things the summary should say (a legacy config name, a workspace configured elsewhere). */
  notes: string[];
}

/** Names that tell an OpenClaw state folder: its config (also under the names before the rename) or its agents. */
const STATE_MARKERS = ["openclaw.json", "clawdbot.json", "moltbot.json", "agents"];
const EXPECTED = "openclaw.json (its config) or agents/ (sessions and auth profiles per agent)";

async function kindOf(path: string): Promise<"dir" | "file" | "symlink" | undefined> {
  const stats = await lstat(path).catch(() => undefined);
  if (!stats) return undefined;
  return stats.isDirectory() ? "dir" : stats.isSymbolicLink() ? "symlink" : stats.isFile() ? "file" : undefined;
}

async function namesIn(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

export async function isStateDir(dir: string): Promise<boolean> {
  const names = new Set(await namesIn(dir));
  return STATE_MARKERS.some((name) => names.has(name));
}

/** moltworker's layout: openclaw/ or clawdbot/ holding a state folder. */
async function moltworkerStateDir(dir: string): Promise<string | undefined> {
  for (const name of ["openclaw", "clawdbot"]) {
    const candidate = join(dir, name);
    if ((await kindOf(candidate)) === "dir" && (await isStateDir(candidate))) return candidate;
  }
  return undefined;
}

/**
 * The state folder in an unpacked archive: its top, or the one folder it holds, a few levels
 * down (`.openclaw/`, `home/node/.openclaw/`, `data/`).
 */
export async function locateState(top: string, described: string): Promise<{ kind: "state-dir" | "moltworker"; dir: string; base: string }> {
  let dir = top;
  for (let depth = 0; depth < 4; depth++) {
    if (await isStateDir(dir)) return { kind: "state-dir", dir, base: dir };
    const legacy = await moltworkerStateDir(dir);
    if (legacy) return { kind: "moltworker", dir: legacy, base: dir };
    const names = await namesIn(dir);
    if (names.length !== 1 || (await kindOf(join(dir, names[0]!))) !== "dir") break;
    dir = join(dir, names[0]!);
  }
  const found = await namesIn(dir);
  throw new UserError(
    `${described} is not an OpenClaw state folder: expected ${EXPECTED} at its top, or moltworker's openclaw/ folder; found ${found.length ? found.slice(0, 12).join(", ") + (found.length > 12 ? ", …" : "") : "nothing"}`,
    "pass the folder OpenClaw keeps its state in (~/.openclaw, or what OPENCLAW_STATE_DIR names; on Kubernetes the volume mounted there), a tar of it, or a copy of a moltworker bucket (`rclone copy r2:moltbot-data ./dump`)",
  );
}

/** Roots for a state folder: the workspace and skills nested inside it, as in the container. */
export async function stateDirRoots(stateDir: string, options: { configDir?: string } = {}): Promise<BackupRoot[]> {
  const workspace = join(stateDir, "workspace");
  const roots: BackupRoot[] = [
    { name: "openclaw", dir: stateDir },
    { name: "workspace", dir: workspace },
    { name: "skills", dir: join(workspace, "skills") },
  ];
  if (options.configDir) roots.push({ name: "openclaw-config", dir: options.configDir });
  return roots;
}

/**
 * Roots for moltworker's layout. Its workspace/ and skills/ sit beside openclaw/ in the bucket;
 * the same folder also inside openclaw/ (or skills/ inside workspace/) would put one file in two
 * roots, which the restore refuses: say so now.
 */
export async function moltworkerRoots(base: string, stateDir: string, configDir?: string): Promise<BackupRoot[]> {
  const pick = async (name: string, outer: string, inner: string): Promise<string> => {
    const [hasOuter, hasInner] = [(await kindOf(outer)) === "dir", (await kindOf(inner)) === "dir"];
    if (hasOuter && hasInner)
      throw new UserError(
        `${base} has two ${name} folders, ${outer} and ${inner}: the container has one (it restores ${name} to one place)`,
        `merge them into ${outer} and remove ${inner} (or the other way round), then import again`,
      );
    return hasOuter ? outer : inner;
  };
  const workspace = await pick("workspace", join(base, "workspace"), join(stateDir, "workspace"));
  const skills = await pick("skills", join(base, "skills"), join(workspace, "skills"));
  const roots: BackupRoot[] = [
    { name: "openclaw", dir: stateDir },
    { name: "workspace", dir: workspace },
    { name: "skills", dir: skills },
  ];
  if (configDir) roots.push({ name: "openclaw-config", dir: configDir });
  return roots;
}

export function looksLikeTar(path: string): boolean {
  return /\.(tar|tar\.gz|tgz)$/i.test(path);
}

/** A folder given on the command line (the tar case unpacks first, then comes here with `kind: "tar"`). */
export async function folderSource(path: string, options: { configDir?: string; kind?: SourceKind } = {}): Promise<ImportSource> {
  const abs = resolve(path);
  const type = await kindOf(abs);
  if (type === undefined)
    throw new UserError(
      `${path} does not exist`,
      "pass the path of an OpenClaw state folder (~/.openclaw), a .tar/.tar.gz of one, or a moltworker bucket copy",
    );
  if (type !== "dir")
    throw new UserError(
      `${path} is not a folder${type === "file" ? " (and not named .tar, .tar.gz or .tgz)" : ""}`,
      "pass an OpenClaw state folder, or a tar of one named *.tar, *.tar.gz or *.tgz",
    );
  if (options.configDir && (await kindOf(resolve(options.configDir))) !== "dir")
    throw new UserError(
      `--config-dir ${options.configDir} is not a folder`,
      "pass the folder ~/.config/openclaw of the machine the state comes from, or leave the option out",
    );
  const configDir = options.configDir ? resolve(options.configDir) : undefined;
  const found = await locateState(abs, path);
  const notes: string[] = [];
  if (found.kind === "state-dir" && found.dir !== abs) notes.push(`the state folder is ${found.dir.slice(abs.length + 1)}/ inside ${path}`);
  const roots = found.kind === "moltworker" ? await moltworkerRoots(found.base, found.dir, configDir) : await stateDirRoots(found.dir, { configDir });
  const names = new Set(await namesIn(found.dir));
  if (!names.has("openclaw.json")) {
    const legacy = ["clawdbot.json", "moltbot.json"].find((name) => names.has(name));
    notes.push(
      legacy
        ? `no openclaw.json, but the legacy ${legacy}: OpenClaw reads openclaw.json; the supervisor writes a fresh one from its environment unless you rename it before importing`
        : "no openclaw.json: the supervisor writes one from its environment at the first boot",
    );
  }
  return { kind: options.kind ?? found.kind, path, stateDir: found.dir, roots, notes };
}

export interface OpenedSource {
  source: ImportSource;
  /** Removes what opening made (a tar's unpacked copy). */
  close(): Promise<void>;
}

/**
 * The source behind a path: a folder as it is, a tar checked whole and then unpacked into a
 * private temp folder (nothing is unpacked from an archive that fails a check).
 */
export async function openSource(
  path: string,
  options: { configDir?: string; progress?: (what: string, done: number, total: number) => void } = {},
): Promise<OpenedSource> {
  const abs = resolve(path);
  if (!looksLikeTar(abs) || (await kindOf(abs)) !== "file") return { source: await folderSource(path, options), close: async () => undefined };
  const { listTar, unpackTar } = await import("./tar.ts");
  const listing = await listTar(abs, (done, total) => options.progress?.("checking the archive", done, total));
  const dest = await mkdtemp(join(tmpdir(), "moltlab-import-tar-"));
  const close = () => rm(dest, { recursive: true, force: true });
  try {
    await unpackTar(abs, listing, dest, (done, total) => options.progress?.("unpacking", done, total));
    const source = await folderSource(dest, { ...options, kind: "tar" });
    const inside = source.stateDir === dest ? "" : source.stateDir.slice(dest.length + 1);
    source.path = path;
    source.notes = [
      ...(inside ? [`the state folder is ${inside}/ in the archive`] : []),
      ...(listing.skipped.length ? [`not unpacked: ${listing.skipped.slice(0, 5).join(", ")}${listing.skipped.length > 5 ? ", …" : ""}`] : []),
      ...source.notes.filter((note) => !note.startsWith("the state folder is")),
    ];
    return { source, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Static reading of a user's own OpenClaw Dockerfile. Nothing runs. It finds what the final
 * image gets, in every common form — `go install` in a build stage copied over, a release
 * download (checked by sha256 or not), `COPY --from=<image>`, apt (also from a repository the
 * Dockerfile adds), `npm install -g`, a `curl … | sh` installer, pip — and tells commands (what a
 * person or the agent runs: counted) from libraries and helpers (listed, not counted). It
 * flags lines that patch OpenClaw's own files (directly, or in a script the Dockerfile copies in
 * and runs: that script is read from beside the Dockerfile), compares pinned versions with the
 * bundled image's (container/tools/manifest.ts), and lists files baked into home directories
 * with what the supervisor's restore does to them (container/supervisor/restore.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, posix } from "node:path";
import { parseDockerfile, substitute, type Instruction, type Stage } from "../../container/build/dockerfile-parse.ts";
import { runText, splitCommands, type SimpleCommand } from "../../container/build/shell-words.ts";
import { standardRoots } from "../../container/supervisor/env.ts";
import { TOOLS, toolsFor } from "../../container/tools/manifest.ts";
import { OPENCLAW_VERSION } from "../../contract/openclaw.ts";

export type InstallForm =
  | "base image"
  | "go install"
  | "built in a stage"
  | "release download"
  | "COPY --from image"
  | "apt"
  | "npm -g"
  | "npm (library)"
  | "curl | sh installer"
  | "pip";

export interface Install {
  /** Dockerfile line (for a copied-over stage build: the COPY line). */
  line: number;
  /** The manifest's tool name when it is one of the bundled image's tools, else the package or binary name. */
  name: string;
  version?: string;
  form: InstallForm;
  /** The fragment that shows it, e.g. "go install github.com/x-motemen/ghq@v1.8.1". */
  how: string;
  /** A command a person or the agent runs (counted in the tool share); false: a library or helper. */
  counted: boolean;
  /** For what is not counted: why. Otherwise detail such as "sha256 checked" or the repository. */
  note?: string;
  /** The bundled image's tool of that name, if any. */
  known?: string;
}

export interface OpenClawPatch {
  line: number;
  how: string;
  /** The script (beside the Dockerfile) the patch is in, and its line there. */
  script?: { path: string; line: number };
}

export interface HomeFile {
  line: number;
  path: string;
  /** What the supervisor's restore does to it. */
  restore: string;
  /** The backed-up folder it is in, or undefined when none. */
  root?: string;
}

export interface VersionDiff {
  tool: string;
  line: number;
  yours: string;
  bundled: string;
}

/** Back-compat view for probes: the bundled image's tools the Dockerfile installs, first occurrence each. */
export interface ToolHit {
  tool: string;
  line: number;
  how: string;
}

export interface DockerfileAnalysis {
  instructions: Instruction[];
  stages: Stage[];
  /** Images the build needs on the engine (FROM, COPY --from=<image>), build arguments substituted where defaults exist. */
  baseImages: string[];
  installs: Install[];
  tools: ToolHit[];
  patches: OpenClawPatch[];
  homeFiles: HomeFile[];
  versionDiffs: VersionDiff[];
  /** The final stage's USER ("" when the Dockerfile sets none: the base image's). */
  user: string;
  notes: string[];
}

/** apt packages that serve the install itself (keyrings, downloads, unpacking, building): listed, not counted. */
const APT_HELPERS = new Set([
  "ca-certificates",
  "curl",
  "wget",
  "gnupg",
  "gnupg2",
  "gpg",
  "dirmngr",
  "lsb-release",
  "apt-transport-https",
  "software-properties-common",
  "unzip",
  "xz-utils",
  "tar",
  "gzip",
  "bzip2",
  "build-essential",
  "make",
  "gcc",
  "g++",
  "pkg-config",
  "locales",
  "tzdata",
  "python3-pip",
  "python3-venv",
]);
/** Debian packages whose name differs from the bundled tool's. */
const APT_ALIASES: Record<string, string> = { "docker.io": "docker", "docker-ce-cli": "docker", "docker-cli": "docker", gh: "gh", git: "git", jq: "jq" };
/** `curl … | sh` installers of bundled tools, by URL. */
const INSTALLER_URLS: [RegExp, string][] = [
  [/claude\.ai\/install\.sh/, "claude"],
  [/babashka\/babashka\/.*\/install/, "babashka"],
];

const manifestVersion = (name: string) => toolsFor(OPENCLAW_VERSION).find((tool) => tool.name === name)?.version;
const cleanVersion = (version: string) => version.replace(/^v(?=\d)/, "");

/** The bundled tool an npm package, Go package, binary or apt package is. */
function knownTool(kind: "npm" | "go" | "binary" | "apt", id: string): string | undefined {
  for (const tool of TOOLS) {
    if (kind === "npm" && tool.source === "npm" && tool.package === id) return tool.name;
    if (kind === "go" && tool.source === "go" && (tool.package === id || tool.module === id)) return tool.name;
    if (kind === "binary" && "binary" in tool && tool.binary === id) return tool.name;
    if (kind === "binary" && tool.name === id) return tool.name;
    if (kind === "apt" && (APT_ALIASES[id] === tool.name || (tool.source === "apt" && tool.package === id))) return tool.name;
  }
  return undefined;
}

/** `name@version` with npm's scoped names (`@scope/name@1.2`). */
function splitAt(spec: string): { name: string; version?: string } {
  const at = spec.lastIndexOf("@");
  if (at <= 0) return { name: spec };
  return { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

/** Packages after the subcommand: words that are not flags (and not a flag's value). */
function operands(words: readonly string[], from: number, valueFlags: readonly string[] = []): string[] {
  const out: string[] = [];
  for (let i = from; i < words.length; i++) {
    const word = words[i]!;
    if (word.startsWith("-")) {
      if (valueFlags.includes(word)) i++;
      continue;
    }
    out.push(word);
  }
  return out;
}

/** Where a file under a home directory lives relative to the supervisor's backed-up folders. */
export function restoreEffect(path: string): { root?: string; restore: string } {
  const home = /^\/root(\/|$)/.test(path) ? "/root" : /^\/home\/[^/]+/.exec(path)?.[0];
  if (!home) return { restore: "not in a home directory" };
  // The innermost root holding it is the one whose restore decides it.
  const roots = standardRoots(home).filter((root) => path === root.dir || path.startsWith(`${root.dir}/`));
  const root = roots.sort((a, b) => b.dir.length - a.dir.length)[0];
  if (!root)
    return {
      restore:
        "outside the backed-up folders: no restore touches it, every start sees the image's copy, and changes made at run time are lost with the container (to keep them: MOLTLAB_BACKUP_EXTRA_DIRS=name=<its folder>, which the restore then treats like the others)",
    };
  return {
    root: root.dir,
    restore: `in the backed-up folder ${root.dir}: a restore makes that folder match the snapshot, so this file is deleted when the snapshot lacks it and replaced by the snapshot's copy when it has it; after the first backup the snapshot's copy wins over the image's (a newer image does not update it); only a start on an empty bucket keeps the image's`,
  };
}

const PATCH_TOOLS = /^(sed|perl|patch|gsed)$/;
/** A path that is OpenClaw's own code: its npm package, an /app/dist build. */
const OPENCLAW_FILES = /(node_modules\/openclaw\/|\/openclaw\/dist\b|^\/app\/dist\b|\/app\/dist\/)/;

interface Context {
  dir: string;
  installs: Install[];
  patches: OpenClawPatch[];
  homeFiles: HomeFile[];
  notes: string[];
  /** apt repositories added so far in the final image, with their line. */
  aptRepos: { url: string; line: number }[];
  /** Files COPYied from the build context: image path → context path. */
  copied: Map<string, string>;
  /** Go binaries built per stage name: binary → install. */
  stageBuilds: Map<string, Map<string, Install>>;
  home: string;
}

function addHomeFile(ctx: Context, line: number, path: string): void {
  const resolved = path.replace(/^(~|\$HOME|\$\{HOME\})(?=\/|$)/, ctx.home);
  if (!/^\/(root|home\/[^/]+)\//.test(resolved) || ctx.homeFiles.some((file) => file.path === resolved)) return;
  ctx.homeFiles.push({ line, path: resolved, ...restoreEffect(resolved) });
}

/** What one shell command installs, patches or writes; `script` when it comes from a script the Dockerfile runs. */
function readCommand(
  ctx: Context,
  command: SimpleCommand,
  all: readonly SimpleCommand[],
  line: number,
  inFinal: boolean,
  stage: Stage,
  script?: { path: string; line: number },
): void {
  const [tool = "", sub = "", ...rest] = command.words;
  const push = (install: Install) => {
    if (!inFinal) return;
    ctx.installs.push(script ? { ...install, note: [install.note, `in ${script.path}:${script.line}`].filter(Boolean).join("; ") } : install);
  };
  for (const target of command.writes) addHomeFile(ctx, line, target);
  if (tool === "tee" || tool === "cp" || tool === "install" || tool === "ln") {
    const last = command.words.at(-1);
    if (last && command.words.length > 1) addHomeFile(ctx, line, tool === "tee" ? command.words[1]! : last);
  }
  if (tool === "git" && sub === "config" && rest.includes("--global")) addHomeFile(ctx, line, "~/.gitconfig");

  // Patches of OpenClaw's own files.
  if (
    PATCH_TOOLS.test(tool) &&
    command.words.some((word) => OPENCLAW_FILES.test(word)) &&
    (tool === "patch" || command.words.some((word) => /^-\w*i/.test(word)))
  ) {
    ctx.patches.push({ line, how: command.words.join(" ").slice(0, 200), ...(script ? { script } : {}) });
  }

  // A script copied in from beside the Dockerfile and run: read it.
  if (!script) {
    const candidate = ["sh", "bash", "node", "python3", "python"].includes(tool) ? sub : tool;
    const source = ctx.copied.get(candidate) ?? ctx.copied.get(posix.normalize(candidate));
    if (source) readScript(ctx, source, line, inFinal, stage);
  }

  if ((tool === "apt-get" || tool === "apt") && sub === "install") {
    for (const spec of operands(command.words, 2, ["-o", "-t", "--target-release"])) {
      const [name, version] = spec.split("=") as [string, string | undefined];
      const repo = ctx.aptRepos.at(-1);
      const known = knownTool("apt", name);
      const helper = APT_HELPERS.has(name);
      const library = !known && (/^lib/.test(name) || /-dev$/.test(name) || /^python3-/.test(name));
      push({
        line,
        name: known ?? name,
        ...(version ? { version } : {}),
        form: "apt",
        how: `apt-get install ${spec}`,
        counted: !helper && !library && name !== "tini",
        ...(helper
          ? { note: "apt helper (download, keyring, build)" }
          : library
            ? { note: "a library" }
            : name === "tini"
              ? { note: "the init (PID 1)" }
              : repo
                ? { note: `from the repository added at line ${repo.line} (${repo.url})` }
                : {}),
        ...(known ? { known } : {}),
      });
    }
  }
  // An apt repository: a sources list written (echo … > /etc/apt/sources.list.d/x.list, or tee).
  const sourcesList = [...command.writes, ...(tool === "tee" ? command.words.slice(1) : [])].find((path) => path.startsWith("/etc/apt/sources.list"));
  if (sourcesList) {
    const text = [command.pipedFrom?.words ?? [], command.words].flat().join(" ");
    const url = /https?:\/\/\S+/.exec(text)?.[0] ?? sourcesList;
    if (inFinal) ctx.aptRepos.push({ url, line });
  }

  if ((tool === "npm" || tool === "pnpm" || tool === "yarn" || tool === "bun") && ["install", "i", "add", "global"].includes(sub)) {
    const global = command.words.some((word) => word === "-g" || word === "--global") || sub === "global";
    const packages = operands(command.words, sub === "global" ? 3 : 2, ["--prefix", "--registry"]);
    for (const spec of packages) {
      const { name, version } = splitAt(spec);
      const known = knownTool("npm", name);
      push({
        line,
        name: known ?? name,
        ...(version ? { version } : {}),
        form: global ? "npm -g" : "npm (library)",
        how: `${tool} ${sub} ${global && sub !== "global" ? "-g " : ""}${spec}`,
        counted: global && name !== "openclaw",
        ...(global ? (name === "openclaw" ? { note: "OpenClaw itself" } : {}) : { note: "a package for NODE_PATH or a local node_modules, not a command" }),
        ...(known ? { known } : {}),
      });
    }
  }

  if (tool === "go" && sub === "install") {
    for (const spec of operands(command.words, 2)) {
      const { name, version } = splitAt(spec);
      const binary = basename(name.replace(/\/v\d+$/, ""));
      const known = knownTool("go", name) ?? knownTool("binary", binary);
      const install: Install = {
        line,
        name: known ?? binary,
        ...(version ? { version } : {}),
        form: "go install",
        how: `go install ${spec}`,
        counted: true,
        ...(known ? { known } : {}),
      };
      if (inFinal) push(install);
      else if (stage.name) {
        const builds = ctx.stageBuilds.get(stage.name) ?? new Map<string, Install>();
        builds.set(binary, install);
        ctx.stageBuilds.set(stage.name, builds);
      }
    }
  }

  if (/^pip[\d.]*$/.test(tool) || tool === "pipx" || (tool === "uv" && ["tool", "pip"].includes(sub)) || (/^python[\d.]*$/.test(tool) && sub === "-m")) {
    const words = tool === "uv" || /^python/.test(tool) ? command.words.slice(2) : command.words.slice(1);
    if (words[0] === "install" || (tool === "pipx" && sub === "install")) {
      const requirement = operands(words, 1, ["-r", "--requirement", "-c", "--index-url", "-i", "--target", "-t", "--prefix"]);
      for (const spec of requirement) {
        const [name, version] = spec.split(/==|>=|~=/) as [string, string | undefined];
        push({
          line,
          name,
          ...(version ? { version } : {}),
          form: "pip",
          how: `${command.words.slice(0, command.words.indexOf("install")).join(" ")} install ${spec}`,
          counted: true,
        });
      }
      if (words.includes("-r") || words.includes("--requirement"))
        ctx.notes.push(`line ${line}: pip installs from a requirements file; its packages are not listed here`);
    }
  }

  // Downloads: piped into a shell (an installer), or a file (a release), checked by sha256 or not.
  if ((tool === "curl" || tool === "wget") && command.words.some((word) => /^https?:\/\//.test(word))) {
    const url = command.words.find((word) => /^https?:\/\//.test(word))!;
    const pipedIntoShell = all.some((other) => other.pipedFrom === command && /^(ba|z|da)?sh$/.test(other.words[0] ?? ""));
    if (pipedIntoShell) {
      const known = INSTALLER_URLS.find(([pattern]) => pattern.test(url))?.[1];
      const host = /^https?:\/\/([^/]+)/.exec(url)?.[1] ?? url;
      push({
        line,
        name: known ?? `installer from ${host}`,
        form: "curl | sh installer",
        how: `${tool} ${url} | sh`,
        counted: true,
        note: "unpinned: installs whatever the script fetches that day",
        ...(known ? { known } : {}),
      });
    } else if (
      /\.(gpg|asc|key|pub)$|\/gpg$|keyring/.test(url) ||
      command.pipedFrom ||
      all.some((other) => other.pipedFrom === command && /^gpg/.test(other.words[0] ?? ""))
    ) {
      // A keyring for an apt repository: part of the apt install.
    } else if (!/\.(sh|list)$/.test(url)) {
      const checked = all.some((other) => /^sha(256|512)sum$/.test(other.words[0] ?? "") || other.words.some((word) => /^[a-f0-9]{64}\b/.test(word)));
      push(releaseDownload(line, `${tool} ${url}`, url, checked ? "sha256 checked" : "not checked by a checksum"));
    }
  }
}

/** A release file fetched by URL (curl, wget, ADD): named by its GitHub repository or file name. */
function releaseDownload(line: number, how: string, url: string, note: string): Install {
  const release = /github\.com\/([^/]+)\/([^/]+)\/releases\/download\/([^/]+)\//.exec(url);
  const name =
    release?.[2] ??
    basename(url)
      .replace(/[-_]v?\d.*$/, "")
      .replace(/\.(tar\.gz|tgz|zip|tar\.xz)$/, "");
  const known = knownTool("binary", name) ?? TOOLS.find((candidate) => candidate.source === "static-release" && url.includes(`/${candidate.name}/`))?.name;
  return {
    line,
    name: known ?? name,
    ...(release ? { version: cleanVersion(release[3]!) } : {}),
    form: "release download",
    how,
    counted: true,
    note,
    ...(known ? { known } : {}),
  };
}

function readScript(ctx: Context, source: string, line: number, inFinal: boolean, stage: Stage): void {
  const file = join(ctx.dir, source);
  if (!existsSync(file)) {
    ctx.notes.push(`line ${line} runs ${source}, which is not beside the Dockerfile: what it does is not judged`);
    return;
  }
  const lines = readFileSync(file, "utf8").split("\n");
  lines.forEach((text, index) => {
    const commands = splitCommands(text);
    for (const command of commands) readCommand(ctx, command, commands, line, inFinal, stage, { path: source, line: index + 1 });
  });
}

export function analyseDockerfile(text: string, path = "Dockerfile"): DockerfileAnalysis {
  const parsed = parseDockerfile(text, path);
  const { instructions, stages } = parsed;
  // The final image: the last stage and the stages it is built FROM.
  const finalChain = new Set<number>();
  for (let stage: Stage | undefined = stages.at(-1); stage; stage = stages.find((candidate) => candidate.name && candidate.name === stage!.from)) {
    if (finalChain.has(stage.index)) break;
    finalChain.add(stage.index);
  }
  let user = "";
  let homeEnv = "";
  for (const instruction of instructions) {
    if (!finalChain.has(instruction.stage)) continue;
    if (instruction.keyword === "USER") user = instruction.args.split(":")[0]!.trim();
    if (instruction.keyword === "ENV") homeEnv = instruction.properties.find((property) => property.name === "HOME")?.value ?? homeEnv;
  }
  const ctx: Context = {
    dir: dirname(path),
    installs: [],
    patches: [],
    homeFiles: [],
    notes: [],
    aptRepos: [],
    copied: new Map(),
    stageBuilds: new Map(),
    home: homeEnv || (user === "" ? "/home/node" : user === "root" || user === "0" ? "/root" : `/home/${user}`),
  };
  if (parsed.syntax)
    ctx.notes.push(
      `the \`# syntax=${parsed.syntax}\` line makes BuildKit fetch that frontend image before reading the file: where there is no registry, remove the line (the built-in frontend reads the same instructions) or load the image`,
    );
  if (!user) ctx.notes.push("no USER in the final stage: the base image's user runs OpenClaw; `~` is read as /home/node (the official image's)");

  for (const stage of stages) {
    if (!finalChain.has(stage.index) || stages.some((other) => other.name && other.name === stage.from)) continue;
    if (/openclaw/i.test(stage.from)) {
      // `openclaw:2026.9.6`, `…:2026.9.6-amd64`: the version is the tag's leading number.
      const tag = stage.from.includes(":") ? stage.from.split(":").at(-1)! : "latest";
      const version = /^v?(\d+(?:\.\d+)*)/.exec(tag)?.[1] ?? tag;
      ctx.installs.push({
        line: stage.line,
        name: "openclaw",
        version,
        form: "base image",
        how: `FROM ${stage.from}`,
        counted: false,
        note: "OpenClaw itself",
        known: "openclaw",
      });
    }
  }

  const args: Record<string, string> = { ...parsed.globalArgs };
  for (const instruction of instructions) {
    const stage = stages[instruction.stage];
    if (!stage) continue;
    const inFinal = finalChain.has(instruction.stage);
    if (instruction.keyword === "FROM") continue;
    if (instruction.keyword === "ARG" || instruction.keyword === "ENV") {
      for (const { name, value } of instruction.properties) if (value) args[name] = substitute(value, args);
      continue;
    }
    if (instruction.keyword === "COPY" || instruction.keyword === "ADD") {
      const flags = Object.fromEntries(Object.entries(instruction.flags).map(([name, value]) => [name, substitute(value, args)]));
      const rest = substitute(instruction.args, args).split(" ");
      if (rest[0]?.startsWith("[")) continue;
      const dest = rest.at(-1) ?? "";
      const sources = rest.slice(0, -1).filter((source) => !source.startsWith("<<"));
      for (const source of sources) {
        const target = dest.endsWith("/") ? posix.join(dest, basename(source)) : dest;
        if (instruction.keyword === "ADD" && /^https?:\/\//.test(source)) {
          // ADD <url>: a download BuildKit checks only with --checksum.
          if (inFinal)
            ctx.installs.push(
              releaseDownload(instruction.line, `ADD ${source}`, source, flags.checksum ? "sha256 checked (ADD --checksum)" : "not checked by a checksum"),
            );
          continue;
        }
        if (inFinal) addHomeFile(ctx, instruction.line, target);
        if (!flags.from) {
          ctx.copied.set(target, source);
          continue;
        }
        if (!inFinal) continue;
        const binary = basename(source.replace(/\/$/, ""));
        const fromStage = stages.find((candidate) => candidate.name === flags.from || String(candidate.index) === flags.from);
        if (fromStage) {
          const built = ctx.stageBuilds.get(fromStage.name)?.get(binary);
          const known = built?.known ?? knownTool("binary", binary);
          ctx.installs.push({
            ...(built ?? { name: known ?? binary, how: `COPY --from=${flags.from} ${source}`, counted: true, ...(known ? { known } : {}) }),
            line: instruction.line,
            form: built ? "go install" : "built in a stage",
            note: `built in stage ${fromStage.name || fromStage.index} (line ${built?.line ?? fromStage.line}), copied over at line ${instruction.line}`,
          });
        } else {
          const known = knownTool("binary", binary);
          // `docker:27.3-cli` pins 27.3.
          const tag = /:v?(\d+(?:\.\d+)*)[^/@]*$/.exec(flags.from)?.[1];
          const library = source.endsWith("/") || /\/lib\//.test(source);
          ctx.installs.push({
            line: instruction.line,
            name: known ?? binary,
            ...(tag ? { version: tag } : {}),
            form: "COPY --from image",
            how: `COPY --from=${flags.from} ${source}`,
            counted: !library,
            note: library ? "a folder or library, not a command" : `taken from the image ${flags.from}`,
            ...(known ? { known } : {}),
          });
        }
      }
      if (instruction.heredocs.length && inFinal) addHomeFile(ctx, instruction.line, dest);
      continue;
    }
    if (instruction.keyword !== "RUN") continue;
    const script = [runText(substitute(instruction.args, args)), ...instruction.heredocs.map((doc) => substitute(doc, args))].join("\n");
    const commands = splitCommands(script);
    for (const command of commands) readCommand(ctx, command, commands, instruction.line, inFinal, stage);
  }
  for (const [stageName, builds] of ctx.stageBuilds)
    for (const [binary, install] of builds)
      if (!ctx.installs.some((other) => other.how === install.how))
        ctx.notes.push(`line ${install.line}: ${binary} is built in stage ${stageName} but never copied into the final image`);

  const versionDiffs: VersionDiff[] = [];
  for (const install of ctx.installs) {
    if (!install.known || !install.version) continue;
    const bundled = manifestVersion(install.known);
    if (!bundled || bundled === "bookworm") continue;
    const yours = cleanVersion(install.version);
    if (yours !== bundled && !versionDiffs.some((diff) => diff.tool === install.known))
      versionDiffs.push({ tool: install.known, line: install.line, yours, bundled });
  }
  const tools: ToolHit[] = [];
  for (const install of ctx.installs)
    if (install.known && !tools.some((hit) => hit.tool === install.known)) tools.push({ tool: install.known, line: install.line, how: install.how });
  return {
    instructions,
    stages,
    baseImages: parsed.baseImages,
    installs: ctx.installs,
    tools,
    patches: ctx.patches,
    homeFiles: ctx.homeFiles,
    versionDiffs,
    user,
    notes: ctx.notes,
  };
}

/** The installs the tool share counts (commands, OpenClaw itself excluded), one per name. */
export function countedTools(analysis: DockerfileAnalysis): Install[] {
  const seen = new Set<string>();
  return analysis.installs.filter((install) => {
    if (!install.counted || install.name === "openclaw" || seen.has(install.name)) return false;
    seen.add(install.name);
    return true;
  });
}

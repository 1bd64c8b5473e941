import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  unlinkSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { UserError } from "../../core/errors.ts";
import { run, tryRun } from "../../core/exec.ts";
import { NPM_CPU, type NpmTool } from "../tools/manifest.ts";
import type { Arch } from "../../contract/arch.ts";

/** Node and npm as the staging runs them. */
export interface NpmRuntime {
  /** Node ≥ 24.16 (openclaw's preinstall refuses older); the Node running moltlab. */
  node: string;
  npmCli: string;
  npmVersion: string;
}

/**
 * npm itself runs on the Node that runs moltlab (process.execPath, Node 24 via
 * node_modules/.bin), not the system's: openclaw's preinstall refuses Node < 24.16,
 * and install scripts find `node` on PATH, so PATH gets this Node first too.
 */
export async function npmRuntime(env: NodeJS.ProcessEnv = process.env): Promise<NpmRuntime> {
  let npmCli = env.npm_execpath && /npm-cli\.[cm]?js$/.test(env.npm_execpath) ? env.npm_execpath : undefined;
  if (!npmCli) {
    const found = await tryRun("sh", ["-c", "command -v npm"]);
    if (found.code === 0) {
      const real = realpathSync(found.stdout.trim());
      npmCli = real.endsWith("npm-cli.js") ? real : join(dirname(dirname(real)), "lib/node_modules/npm/bin/npm-cli.js");
    }
  }
  if (!npmCli || !existsSync(npmCli)) {
    throw new UserError("npm was not found: staging the npm packages of the image needs it", "install npm (it comes with Node.js), then rerun `npm run image`");
  }
  const npmPackage = JSON.parse(readFileSync(join(dirname(npmCli), "../package.json"), "utf8")) as { version: string };
  return { node: process.execPath, npmCli, npmVersion: npmPackage.version };
}

export function npmSpecs(tools: readonly NpmTool[]): string[] {
  return tools.map((tool) => `${tool.package}@${tool.version}`);
}

export interface NpmStage {
  /** A global npm prefix (bin/, lib/node_modules/) laid out like /usr/local. */
  dir: string;
  reused: boolean;
  /** Per tool: undefined when installed, else why not. */
  missing: Map<string, string>;
  /** Native addons (*.node) built for another CPU than the target (see foreignAddons). */
  foreign: string[];
}

/**
 * Installs the npm tools for one arch into a global prefix under the cache, with
 * npm's --cpu/--os/--libc, so npm picks the target's platform packages and nothing
 * runs under QEMU. Kept per arch and key: a rebuild with the same packages reuses it.
 */
export async function stageNpm(
  tools: readonly NpmTool[],
  arch: Arch,
  cache: string,
  runtime: NpmRuntime,
  logFile: string,
  progress: (text: string) => void,
): Promise<NpmStage> {
  const specs = npmSpecs(tools);
  const key = createHash("sha256")
    .update(JSON.stringify([specs, tools.map((tool) => tool.nativeBinary ?? null), runtime.npmVersion, process.version]))
    .digest("hex")
    .slice(0, 12);
  const root = join(cache, "image", "npm");
  const dir = join(root, `${arch}-${key}`);
  mkdirSync(root, { recursive: true });
  let reused = true;
  if (!existsSync(dir)) {
    reused = false;
    // Older stagings of this arch are dead weight (hundreds of MB each).
    for (const entry of readdirSync(root)) if (entry.startsWith(`${arch}-`)) rmSync(join(root, entry), { recursive: true, force: true });
    const partial = `${dir}.partial`;
    progress(`npm install --cpu=${NPM_CPU[arch]} --os=linux ${specs.join(" ")}`);
    const nodeBin = dirname(runtime.node);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${nodeBin}:${process.env.PATH ?? ""}`, npm_config_update_notifier: "false" };
    // Only matters if something compiles (nothing should: a host compile would be the wrong CPU for a cross build).
    const nodeDir = dirname(nodeBin);
    if (existsSync(join(nodeDir, "include/node/node.h"))) env.npm_config_nodedir = nodeDir;
    await run(
      runtime.node,
      [
        runtime.npmCli,
        "install",
        "--global",
        "--prefix",
        partial,
        "--omit=dev",
        "--no-audit",
        "--no-fund",
        `--cpu=${NPM_CPU[arch]}`,
        "--os=linux",
        "--libc=glibc",
        "--cache",
        join(cache, "image", "npm-cache"),
        ...specs,
      ],
      { env, logFile, timeoutMs: 1_200_000 },
    );
    for (const tool of tools) if (tool.nativeBinary) linkNativeBinary(partial, tool, arch);
    renameSync(partial, dir);
  }
  const missing = new Map<string, string>();
  for (const tool of tools) {
    const reason = checkInstalled(dir, tool, arch);
    if (reason) missing.set(tool.name, reason);
  }
  return { dir, reused, missing, foreign: foreignAddons(join(dir, "lib/node_modules"), arch) };
}

function packageDir(prefix: string, tool: NpmTool): string {
  return join(prefix, "lib/node_modules", tool.package);
}

/** What the package's own install script does for the host's CPU, done for the target's. */
function linkNativeBinary(prefix: string, tool: NpmTool, arch: Arch): void {
  const native = tool.nativeBinary!;
  const from = join(packageDir(prefix, tool), native.from.replaceAll("{cpu}", NPM_CPU[arch]));
  const to = join(packageDir(prefix, tool), native.to);
  if (!existsSync(from)) return; // reported by checkInstalled
  if (existsSync(to)) unlinkSync(to);
  linkSync(from, to);
}

function checkInstalled(prefix: string, tool: NpmTool, arch: Arch): string | undefined {
  const manifest = join(packageDir(prefix, tool), "package.json");
  if (!existsSync(manifest)) return `npm did not install ${tool.package}`;
  const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
  if (version !== tool.version) return `npm installed ${tool.package}@${version}, not ${tool.version}`;
  if (tool.nativeBinary && !existsSync(join(packageDir(prefix, tool), tool.nativeBinary.from.replaceAll("{cpu}", NPM_CPU[arch])))) {
    return `${tool.package} has no native binary for linux-${NPM_CPU[arch]}`;
  }
  return undefined;
}

const ELF_MACHINE: Record<Arch, number> = { amd64: 62, arm64: 183 };

/**
 * Native addons in the staging that are not for the target CPU. Packages whose
 * install scripts look at the host's CPU leave these on a cross install (koffi
 * copies its host prebuild; openclaw's postinstall "repairs" fs-safe with the
 * host's prebuild). They are unused on the target, so they are reported, not removed.
 */
export function foreignAddons(root: string, arch: Arch): string[] {
  const found: string[] = [];
  const header = Buffer.alloc(20);
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith(".node")) {
        const fd = openSync(path, "r");
        const bytes = readSync(fd, header, 0, 20, 0);
        closeSync(fd);
        const isElf = bytes === 20 && header.readUInt32BE(0) === 0x7f454c46;
        if (isElf && header.readUInt16LE(18) !== ELF_MACHINE[arch]) found.push(relative(root, path));
      }
    }
  };
  if (existsSync(root)) walk(root);
  return found;
}

import { chmodSync, copyFileSync, linkSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { run } from "../../core/exec.ts";
import { resolvedProbe, type Tool, type ToolsFile, type ToolStatus } from "../tools/manifest.ts";
import type { ToolOutcome } from "./outcome.ts";
import type { Arch } from "../../contract/arch.ts";

/** Where each tool stands for one arch before the image build (apt tools: installed by the build itself). */
export type ToolResults = Map<string, ToolOutcome | { installed: true; file?: undefined; note?: string }>;

export function renderToolsFile(arch: Arch, openclawVersion: string, tools: readonly Tool[], results: ToolResults): ToolsFile {
  return {
    schema: 1,
    arch,
    openclaw: openclawVersion,
    tools: tools.map((tool): ToolStatus => {
      const result = results.get(tool.name) ?? { installed: false as const, reason: "not prepared by the build" };
      return {
        name: tool.name,
        source: tool.source,
        version: tool.version,
        licence: tool.licence,
        ...(tool.licenceNote ? { licenceNote: tool.licenceNote } : {}),
        ...(tool.source === "apt" ? { package: tool.package } : {}),
        installed: result.installed,
        ...(result.installed ? {} : { reason: result.reason }),
        probe: resolvedProbe(tool),
      };
    }),
  };
}

export interface ContextFiles {
  npmStage: string;
  /** The same npm packages for the host's arch (npmStage itself on a native build): the plugin install runs there. */
  hostNpmStage: string;
  /** An npm cache holding the OpenClaw plugins the build installs offline (plugin-cache.ts). */
  pluginNpmCache: string;
  /** name in /usr/local/bin → file on the host */
  binaries: Map<string, string>;
  supervisor: string;
  defaultConfig: string;
  /** The compile-cache step's files (warm.ts and what it imports), into compile-cache/ for the Dockerfile. */
  compileCacheStep: readonly string[];
  toolsFile: ToolsFile;
}

/**
 * Lays out the build context for one arch (see the Dockerfile's header). Large
 * trees are hard-linked, not copied: the context is rebuilt on every build in a
 * second or two, and unchanged files keep their inode and mtime, so BuildKit's
 * incremental context transfer sends only what changed.
 */
export async function assembleContext(dir: string, files: ContextFiles): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await run("cp", ["-al", files.npmStage, join(dir, "npm")]);
  await run("cp", ["-al", files.pluginNpmCache, join(dir, "plugin-npm-cache")]);
  // Only OpenClaw itself is needed there; the Dockerfile bind-mounts it for one step.
  await run("cp", ["-al", join(files.hostNpmStage, "lib/node_modules/openclaw"), join(dir, "openclaw-host")]);
  mkdirSync(join(dir, "compile-cache"));
  for (const file of files.compileCacheStep) copyFileSync(file, join(dir, "compile-cache", basename(file)));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const [name, file] of files.binaries) {
    const target = join(bin, name);
    try {
      linkSync(file, target);
    } catch {
      copyFileSync(file, target);
    }
    chmodSync(target, 0o755);
  }
  const opt = join(dir, "opt");
  mkdirSync(opt);
  copyFileSync(files.supervisor, join(opt, "supervisor.mjs"));
  copyFileSync(files.defaultConfig, join(opt, "openclaw.default.json"));
  writeFileSync(join(opt, "tools.json"), `${JSON.stringify(files.toolsFile, null, 2)}\n`);
}

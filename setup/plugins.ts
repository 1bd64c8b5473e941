import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { downloadDebs } from "../core/debian-download.ts";
import { UserError } from "../core/errors.ts";
import { run, tryRun } from "../core/exec.ts";
import { canManageMachine } from "../core/host.ts";
import type { StepContext, StepOutcome } from "../core/ui.ts";

export const PLUGIN_DIR = "/usr/local/lib/docker/cli-plugins";

/**
 * The CLI plugins moltlab needs, and the Debian package that carries each. Debian 12
 * has neither (its docker-compose is the old v1); trixie's builds are static Go
 * binaries that need only glibc ≥ 2.34, so they run on bookworm.
 */
const PLUGINS = [
  { name: "compose", versionArgs: ["compose", "version", "--short"], debPackage: "docker-compose" },
  { name: "buildx", versionArgs: ["buildx", "version"], debPackage: "docker-buildx" },
] as const;
const DONOR_SUITE = "trixie";

async function pluginVersion(args: readonly string[]): Promise<string | undefined> {
  const result = await tryRun("docker", args, { timeoutMs: 15_000 });
  if (result.code !== 0) return undefined;
  return result.stdout.match(/v?\d+\.\d+\.\d+\S*/)?.[0] ?? result.stdout.trim();
}

export async function ensurePlugins(context: StepContext, cache: string, logFile: string): Promise<StepOutcome> {
  const versions = new Map<string, string | undefined>();
  for (const plugin of PLUGINS) versions.set(plugin.name, await pluginVersion(plugin.versionArgs));
  const missing = PLUGINS.filter((plugin) => !versions.get(plugin.name));
  const describe = () => PLUGINS.map((plugin) => `${plugin.name} ${versions.get(plugin.name)}`).join(", ");
  if (missing.length === 0) return { status: "ok", detail: describe() };
  if (!canManageMachine()) {
    throw new UserError(
      `the Docker CLI plugin(s) ${missing.map((p) => p.name).join(" and ")} are missing`,
      "install Docker's docker-compose-plugin and docker-buildx-plugin packages (Docker Desktop has both), then rerun `npm run setup`",
    );
  }
  context.progress(`fetching ${missing.map((p) => p.debPackage).join(", ")} from Debian ${DONOR_SUITE}`);
  await installFromDonorSuite(
    missing.map((p) => p.debPackage),
    cache,
    logFile,
  );
  for (const plugin of missing) {
    const version = await pluginVersion(plugin.versionArgs);
    if (!version)
      throw new UserError(`installed docker-${plugin.name} into ${PLUGIN_DIR} but \`docker ${plugin.versionArgs.join(" ")}\` still fails`, `see ${logFile}`);
    versions.set(plugin.name, version);
  }
  return { status: "done", detail: `installed into ${PLUGIN_DIR}: ${describe()}` };
}

/** Fetches the packages from another Debian suite and copies out the plugin binaries. */
async function installFromDonorSuite(packages: readonly string[], cache: string, logFile: string): Promise<void> {
  const { stdout: arch } = await run("dpkg", ["--print-architecture"]);
  const workDir = join(cache, `apt-${DONOR_SUITE}`);
  const debs = await downloadDebs({ suite: DONOR_SUITE, arch: arch.trim(), packages, workDir, logFile });
  mkdirSync(PLUGIN_DIR, { recursive: true });
  for (const deb of debs) {
    const unpacked = mkdtempSync(join(workDir, "unpack-"));
    try {
      await run("dpkg-deb", ["-x", deb, unpacked], { logFile });
      const pluginDir = join(unpacked, "usr/libexec/docker/cli-plugins");
      for (const binary of readdirSync(pluginDir)) {
        // Copy then rename, so an interrupted copy never leaves a truncated plugin on PATH.
        const target = join(PLUGIN_DIR, binary);
        copyFileSync(join(pluginDir, binary), `${target}.partial`);
        chmodSync(`${target}.partial`, 0o755);
        renameSync(`${target}.partial`, target);
      }
    } finally {
      rmSync(unpacked, { recursive: true, force: true });
    }
  }
}

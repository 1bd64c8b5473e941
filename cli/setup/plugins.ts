import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { run, tryRun } from "../exec.ts";
import { canManageMachine } from "../host.ts";
import type { StepContext, StepOutcome } from "../ui.ts";

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
const DEBIAN_MIRROR = process.env.MOLTLAB_DEBIAN_MIRROR || "http://deb.debian.org/debian";

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
    throw new UserError(`the Docker CLI plugin(s) ${missing.map((p) => p.name).join(" and ")} are missing`,
      "install Docker's docker-compose-plugin and docker-buildx-plugin packages (Docker Desktop has both), then rerun `npm run setup`");
  }
  context.progress(`fetching ${missing.map((p) => p.debPackage).join(", ")} from Debian ${DONOR_SUITE}`);
  await installFromDonorSuite(missing.map((p) => p.debPackage), cache, logFile);
  for (const plugin of missing) {
    const version = await pluginVersion(plugin.versionArgs);
    if (!version) throw new UserError(`installed docker-${plugin.name} into ${PLUGIN_DIR} but \`docker ${plugin.versionArgs.join(" ")}\` still fails`, `see ${logFile}`);
    versions.set(plugin.name, version);
  }
  return { status: "done", detail: `installed into ${PLUGIN_DIR}: ${describe()}` };
}

/**
 * Downloads .debs from another Debian suite with a throwaway apt configuration (the
 * host's sources and package state stay untouched) and copies out the plugin binaries.
 */
async function installFromDonorSuite(packages: readonly string[], cache: string, logFile: string): Promise<void> {
  const aptRoot = join(cache, `apt-${DONOR_SUITE}`);
  for (const dir of ["lists/partial", "archives/partial", "debs"]) mkdirSync(join(aptRoot, dir), { recursive: true });
  const sourcesFile = join(aptRoot, "sources.list");
  writeFileSync(sourcesFile, `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${DEBIAN_MIRROR} ${DONOR_SUITE} main\n`);
  const { stdout: arch } = await run("dpkg", ["--print-architecture"]);
  const options = [
    `-oDir::Etc::SourceList=${sourcesFile}`, "-oDir::Etc::SourceParts=/dev/null", `-oDir::State::Lists=${join(aptRoot, "lists")}`,
    `-oDir::Cache=${aptRoot}`, `-oAPT::Architecture=${arch.trim()}`, "-oAPT::Sandbox::User=root",
  ];
  await run("apt-get", [...options, "update"], { logFile, timeoutMs: 300_000 });
  const debs = join(aptRoot, "debs");
  for (const file of readdirSync(debs)) rmSync(join(debs, file));
  await run("apt-get", [...options, "download", ...packages], { cwd: debs, logFile, timeoutMs: 600_000 });
  mkdirSync(PLUGIN_DIR, { recursive: true });
  for (const file of readdirSync(debs).filter((name) => name.endsWith(".deb"))) {
    const unpacked = mkdtempSync(join(aptRoot, "unpack-"));
    try {
      await run("dpkg-deb", ["-x", join(debs, file), unpacked], { logFile });
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

import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./exec.ts";

/** Debian's archive, or the mirror in MOLTLAB_DEBIAN_MIRROR. */
export function debianMirror(env: NodeJS.ProcessEnv = process.env): string {
  return env.MOLTLAB_DEBIAN_MIRROR || "http://deb.debian.org/debian";
}

export interface DebDownload {
  /** Debian suite to take the packages from, e.g. "trixie". */
  suite: string;
  /** Debian architecture name (amd64, arm64). */
  arch: string;
  packages: readonly string[];
  /** A directory of this download's own: apt lists, cache and the .debs live here. */
  workDir: string;
  logFile: string;
}

/**
 * Downloads .debs from any Debian suite and architecture with a throwaway apt
 * configuration, so the host's sources and package state stay untouched. Returns the
 * paths of the downloaded files; a failing apt-get rejects with its output's tail.
 */
export async function downloadDebs(download: DebDownload): Promise<string[]> {
  const { suite, arch, workDir, logFile } = download;
  for (const dir of ["lists/partial", "archives/partial", "debs"]) mkdirSync(join(workDir, dir), { recursive: true });
  const sourcesFile = join(workDir, "sources.list");
  writeFileSync(sourcesFile, `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${debianMirror()} ${suite} main\n`);
  const options = [
    `-oDir::Etc::SourceList=${sourcesFile}`,
    "-oDir::Etc::SourceParts=/dev/null",
    `-oDir::State::Lists=${join(workDir, "lists")}`,
    `-oDir::Cache=${workDir}`,
    `-oAPT::Architecture=${arch}`,
    `-oAPT::Architectures=${arch}`,
    "-oAPT::Sandbox::User=root",
  ];
  await run("apt-get", [...options, "update"], { logFile, timeoutMs: 300_000 });
  const debs = join(workDir, "debs");
  for (const file of readdirSync(debs)) rmSync(join(debs, file));
  await run("apt-get", [...options, "download", ...download.packages.map((name) => `${name}:${arch}`)], { cwd: debs, logFile, timeoutMs: 600_000 });
  return readdirSync(debs)
    .filter((name) => name.endsWith(".deb"))
    .map((name) => join(debs, name));
}

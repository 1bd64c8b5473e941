import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { downloadDebs } from "../../core/debian-download.ts";
import { lastLines, tryRun } from "../../core/exec.ts";
import type { DebTool } from "../tools/manifest.ts";
import type { ToolOutcome } from "./outcome.ts";
import type { Arch } from "../../contract/arch.ts";

/**
 * Takes one file out of a Debian package of `tool.suite` for the target arch
 * (downloaded as setup downloads the compose and buildx plugins), with
 * `dpkg-deb -x` on the host. The result is cached per
 * package, version and arch, so only the first build talks to the archive.
 */
export async function fetchDebFile(tool: DebTool, arch: Arch, cache: string, logFile: string): Promise<ToolOutcome> {
  const outDir = join(cache, "image/debs", `${tool.package}-${tool.version}-${arch}`);
  const out = join(outDir, tool.binary);
  if (existsSync(out)) return { installed: true, file: out };
  if ((await tryRun("apt-get", ["--version"])).code !== 0 || (await tryRun("dpkg-deb", ["--version"])).code !== 0) {
    return { installed: false, reason: `fetching ${tool.package} from Debian ${tool.suite} needs apt-get and dpkg-deb on this machine (Debian or Ubuntu)` };
  }
  const aptRoot = join(cache, "image", `apt-${tool.suite}-${arch}`);
  let debPath: string | undefined;
  try {
    [debPath] = await downloadDebs({ suite: tool.suite, arch, packages: [tool.package], workDir: aptRoot, logFile });
  } catch (error) {
    return {
      installed: false,
      reason: `downloading ${tool.package}:${arch} from Debian ${tool.suite} failed: ${lastLines(error instanceof Error ? error.message : String(error), 2)}`,
    };
  }
  if (!debPath) return { installed: false, reason: `apt-get download ${tool.package}:${arch} from Debian ${tool.suite} produced no .deb` };
  const deb = basename(debPath);
  // <package>_<epoch%3A><version>_<arch>.deb; accept any Debian revision of the pinned upstream version.
  const debVersion = decodeURIComponent(deb.split("_")[1] ?? "").replace(/^\d+:/, "");
  if (!new RegExp(`^${tool.version.replaceAll(".", "\\.")}[+~-]`).test(debVersion)) {
    return { installed: false, reason: `Debian ${tool.suite} now has ${tool.package} ${debVersion}, the manifest pins ${tool.version}: update the manifest` };
  }
  const unpacked = mkdtempSync(join(aptRoot, "unpack-"));
  try {
    const extract = await tryRun("dpkg-deb", ["-x", debPath, unpacked], { logFile });
    if (extract.code !== 0 || !existsSync(join(unpacked, tool.file))) return { installed: false, reason: `${deb} has no ${tool.file}` };
    const partial = `${outDir}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    renameSync(join(unpacked, tool.file), join(partial, tool.binary));
    rmSync(outDir, { recursive: true, force: true });
    renameSync(partial, outDir);
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
  return { installed: true, file: out, note: `${tool.package} ${debVersion} from Debian ${tool.suite}` };
}

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lastLines, tryRun } from "../../core/exec.ts";
import type { StaticReleaseTool } from "../tools/manifest.ts";
import type { ToolOutcome } from "./outcome.ts";
import type { Arch } from "../../contract/arch.ts";

const DOWNLOAD_TIMEOUT_MS = 60_000;

/**
 * Downloads a release tarball, checks its pinned SHA-256, and unpacks the one binary.
 * Where the download site is unreachable (GitHub here) the tool is reported as not
 * installed and the build goes on: an image without it is honest, a fake is not.
 */
export async function fetchStaticRelease(tool: StaticReleaseTool, arch: Arch, cache: string, logFile: string): Promise<ToolOutcome> {
  const { url, sha256 } = tool.arches[arch];
  const outDir = join(cache, "image/releases", `${tool.name}-${tool.version}-${arch}`);
  const out = join(outDir, tool.member);
  if (existsSync(out)) return { installed: true, file: out };
  let body: Buffer;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    if (!response.ok) return { installed: false, reason: `download of ${url} answered HTTP ${response.status}` };
    body = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return { installed: false, reason: `${new URL(url).host} is not reachable from this machine (${cause})` };
  }
  const actual = createHash("sha256").update(body).digest("hex");
  if (actual !== sha256) return { installed: false, reason: `checksum mismatch for ${url}: expected ${sha256}, got ${actual}` };
  const partial = `${outDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const tarball = join(partial, "release.tar.gz");
  writeFileSync(tarball, body);
  const unpack = await tryRun("tar", ["-xzf", tarball, "-C", partial, tool.member], { logFile });
  if (unpack.code !== 0) return { installed: false, reason: `unpacking ${tool.member} from ${url} failed: ${lastLines(unpack.stderr, 2)}` };
  rmSync(tarball);
  rmSync(outDir, { recursive: true, force: true });
  renameSync(partial, outDir);
  return { installed: true, file: out };
}

/**
 * A user's own Dockerfile, built here when it can be: every base image it names must
 * already be on this engine (there may be no registry to pull from). Built per requested
 * architecture the way `npm run dev -- --dockerfile` builds it (container/build/user-image.ts:
 * their image, then the supervisor layered on top), each detected tool is probed with its
 * manifest probe (`--version` and the like) as the image's user, then both images are removed.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../core/errors.ts";
import { tryRun } from "../../core/exec.ts";
import { cacheDir } from "../../core/host.ts";
import { buildLayeredImage, runShellInImage, type UserImageFacts } from "../../container/build/user-image.ts";
import { TOOLS } from "../../container/tools/manifest.ts";
import { excerpt } from "../evidence.ts";
import type { DockerfileAnalysis } from "./dockerfile-analysis.ts";
import type { Arch } from "../../contract/arch.ts";

export interface ToolProbe {
  tool: string;
  ok: boolean;
  evidence: string;
}

export type ArchBuild =
  | { arch: Arch; built: true; seconds: number; probes: ToolProbe[]; facts: UserImageFacts; layer: string; compileCache: string }
  | { arch: Arch; built: false; reason: string };

export async function buildAndProbe(
  dockerfile: string,
  analysis: DockerfileAnalysis,
  arches: readonly Arch[],
  progress: (text: string) => void,
): Promise<ArchBuild[]> {
  const cache = cacheDir();
  const logDir = join(cache, "verify");
  mkdirSync(logDir, { recursive: true });
  const results: ArchBuild[] = [];
  for (const arch of arches) {
    const logFile = join(logDir, `dockerfile-${arch}.log`);
    const started = performance.now();
    let built: Awaited<ReturnType<typeof buildLayeredImage>>;
    try {
      built = await buildLayeredImage({ dockerfile, arch, cache, logFile, kind: "test", purpose: "verify", progress });
    } catch (error) {
      const text = error instanceof UserError ? `${error.message} (fix: ${error.fix})` : error instanceof Error ? error.message : String(error);
      results.push({ arch, built: false, reason: `${excerpt(text, 600)} (full log: ${logFile})` });
      continue;
    }
    const seconds = (performance.now() - started) / 1000;
    const probes: ToolProbe[] = [];
    for (const hit of analysis.tools) {
      const tool = TOOLS.find((known) => known.name === hit.tool);
      if (!tool) continue;
      const expect = new RegExp(tool.probe.expect.replaceAll("{version}", "\\S+"));
      const result = await runShellInImage({ tag: built.tag, arch, user: built.facts.user || "root", script: `${tool.probe.command} 2>&1` });
      const output = result.stdout + result.stderr;
      probes.push({
        tool: hit.tool,
        ok: result.code === 0 && expect.test(output),
        evidence: `\`${tool.probe.command}\` → exit ${result.code}: ${excerpt(output, 200)}`,
      });
    }
    results.push({ arch, built: true, seconds, probes, facts: built.facts, layer: built.layer, compileCache: built.compileCache });
    await tryRun("docker", ["image", "rm", "-f", built.tag, built.userTag], { timeoutMs: 60_000 });
  }
  return results;
}

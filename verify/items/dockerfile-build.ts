/**
 * A user's own Dockerfile, built here when it can be: every base image it names must
 * already be on this engine (there may be no registry to pull from). Built per requested
 * architecture with buildx, each detected tool is probed with its manifest probe
 * (`--version` and the like), then the image is removed.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildxBuild } from "../../core/buildx.ts";
import { tryRun } from "../../core/exec.ts";
import { cacheDir } from "../../core/host.ts";
import { moltlabLabels } from "../../core/labels.ts";
import { TOOLS } from "../../container/tools/manifest.ts";
import { excerpt } from "../evidence.ts";
import type { DockerfileAnalysis } from "./dockerfile-analysis.ts";
import type { Arch } from "../../contract/arch.ts";

export interface ToolProbe {
  tool: string;
  ok: boolean;
  evidence: string;
}

export type ArchBuild = { arch: Arch; built: true; seconds: number; probes: ToolProbe[] } | { arch: Arch; built: false; reason: string };

/** A FROM reference for one platform: the build arguments BuildKit sets per target filled in. */
export function forArch(image: string, arch: Arch): string {
  const values: Record<string, string> = { TARGETARCH: arch, TARGETOS: "linux", TARGETPLATFORM: `linux/${arch}`, BUILDARCH: arch };
  return image.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced, bare) => values[braced ?? bare] ?? whole);
}

/** Base images this engine does not have for that platform: the build cannot start without them. */
export async function missingBaseImages(images: readonly string[], arch: Arch): Promise<string[]> {
  const missing: string[] = [];
  for (const raw of images) {
    const image = forArch(raw, arch);
    if (image.includes("$")) {
      missing.push(`${image} (an unresolved build argument)`);
      continue;
    }
    const result = await tryRun("docker", ["image", "inspect", "--format", "{{.Id}}", image], { timeoutMs: 30_000 });
    if (result.code !== 0) missing.push(image);
  }
  return missing;
}

export async function buildAndProbe(
  dockerfile: string,
  analysis: DockerfileAnalysis,
  arches: readonly Arch[],
  progress: (text: string) => void,
): Promise<ArchBuild[]> {
  const logDir = join(cacheDir(), "verify");
  mkdirSync(logDir, { recursive: true });
  const results: ArchBuild[] = [];
  for (const arch of arches) {
    const tag = `moltlab/verify-dockerfile:${arch}`;
    const logFile = join(logDir, `dockerfile-${arch}.log`);
    progress(`building ${dockerfile} for linux/${arch} (log: ${logFile})`);
    const started = performance.now();
    try {
      await buildxBuild({
        arch,
        dockerfile,
        context: dirname(dockerfile),
        tag,
        buildArgs: {},
        labels: moltlabLabels("test", { "moltlab.verify": "dockerfile" }),
        logFile,
        timeoutMs: 45 * 60_000,
      });
    } catch (error) {
      results.push({
        arch,
        built: false,
        reason: `the build failed: ${excerpt(error instanceof Error ? error.message : String(error), 400)} (full log: ${logFile})`,
      });
      continue;
    }
    const seconds = (performance.now() - started) / 1000;
    const probes: ToolProbe[] = [];
    for (const hit of analysis.tools) {
      const tool = TOOLS.find((known) => known.name === hit.tool);
      if (!tool) continue;
      const expect = new RegExp(tool.probe.expect.replaceAll("{version}", "\\S+"));
      const result = await tryRun(
        "docker",
        [
          "run",
          "--rm",
          "--platform",
          `linux/${arch}`,
          "--network",
          "none",
          ...Object.entries(moltlabLabels("test")).flatMap(([key, value]) => ["--label", `${key}=${value}`]),
          "--entrypoint",
          "sh",
          tag,
          "-c",
          `${tool.probe.command} 2>&1`,
        ],
        { timeoutMs: 180_000 },
      );
      const output = result.stdout + result.stderr;
      probes.push({
        tool: hit.tool,
        ok: result.code === 0 && expect.test(output),
        evidence: `\`${tool.probe.command}\` → exit ${result.code}: ${excerpt(output, 200)}`,
      });
    }
    results.push({ arch, built: true, seconds, probes });
    await tryRun("docker", ["image", "rm", "-f", tag], { timeoutMs: 60_000 });
  }
  return results;
}

import { docker } from "./docker.ts";
import { hostArch } from "./host.ts";
import type { Arch } from "../contract/arch.ts";
import { labelFlags } from "./labels.ts";
import { layerCacheFromProgress, type LayerCache } from "./image-timings.ts";

export interface BuildxOptions {
  arch: Arch;
  dockerfile: string;
  context: string;
  tag: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  logFile: string;
  timeoutMs?: number;
  /** `--no-cache`: every step runs again (the bench's cold-build figure). */
  noCache?: boolean;
}

/**
 * One platform, loaded into the engine's image store under its final tag (the
 * classic store holds one platform per tag; a multi-platform build needs a newer
 * engine). TARGETARCH and BUILDARCH are always passed: Docker 20.10's builder leaves them
 * empty (BUILDARCH names the host's base image in a stage that runs natively).
 * Same invocation as setup's base-image build (setup/base-images.ts). Returns how many of
 * the Dockerfile's steps BuildKit answered from its cache (from its plain progress output), and
 * that output, where a step's own lines can be found.
 */
export async function buildxBuild(options: BuildxOptions): Promise<LayerCache & { progress: string }> {
  const buildArgs = { TARGETARCH: options.arch, BUILDARCH: hostArch(), ...options.buildArgs };
  const result = await docker(
    [
      "buildx",
      "build",
      "--platform",
      `linux/${options.arch}`,
      "--load",
      "--progress=plain",
      ...(options.noCache ? ["--no-cache"] : []),
      "--file",
      options.dockerfile,
      "--tag",
      options.tag,
      ...Object.entries(buildArgs).flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]),
      ...labelFlags(options.labels),
      options.context,
    ],
    { logFile: options.logFile, timeoutMs: options.timeoutMs ?? 3_600_000 },
  );
  const progress = `${result.stdout}\n${result.stderr}`;
  return { ...layerCacheFromProgress(progress), progress };
}

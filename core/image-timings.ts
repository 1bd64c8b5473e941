/**
 * How long the OpenClaw image builds took inside a test run, and whether they came from cache.
 *
 * The builds happen where the tests call ensureImages() (container/build/), in vitest's worker
 * processes, not in `moltlab test` itself. So each call appends one JSON line to the file that
 * MOLTLAB_IMAGE_TIMINGS names (the test command sets it for every vitest project it runs and
 * reads it afterwards); without the variable nothing is written. Every figure is measured where
 * it happened, never estimated.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import type { Arch } from "../contract/arch.ts";
import { formatSeconds } from "./ui.ts";

export const IMAGE_TIMINGS_ENV = "MOLTLAB_IMAGE_TIMINGS";

/** The Dockerfile steps of one `docker buildx build`, and how many BuildKit answered from its cache. */
export interface LayerCache {
  steps: number;
  cached: number;
}

/** One arch's part of an ensureImages() call. */
export interface ImageTiming {
  arch: Arch;
  tag: string;
  /** `current`: the image's recipe matched, nothing was built. `built`: the steps below ran. */
  outcome: "current" | "built";
  seconds: number;
  /** For `built`: each build step with its time and what it reported (e.g. "reused …"). */
  steps?: { label: string; seconds: number; detail: string }[];
  /** For `built`: the docker build's layer cache. */
  layers?: LayerCache;
}

/** One ensureImages() call: the shared prerequisites (probes, supervisor bundle), then each arch. */
export interface ImageCall {
  prerequisitesSeconds: number;
  images: ImageTiming[];
}

/**
 * Counts the Dockerfile steps in BuildKit's plain progress output (`#7 [3/8] RUN …`, `#9 [build 2/5] COPY …`)
 * and those it reports as `#7 CACHED`. FROM lines are not counted: they are never "cached", only resolved.
 */
export function layerCacheFromProgress(progress: string): LayerCache {
  const steps = new Set<string>();
  const cached = new Set<string>();
  for (const line of progress.split("\n")) {
    const step = /^#(\d+) \[(?:[\w.-]+ )?\d+\/\d+\] (\S+)/.exec(line);
    if (step && step[2] !== "FROM") steps.add(step[1]!);
    const hit = /^#(\d+) CACHED\s*$/.exec(line);
    if (hit) cached.add(hit[1]!);
  }
  return { steps: steps.size, cached: [...cached].filter((id) => steps.has(id)).length };
}

/** Appends one call's timings where the running test command asked for them (a no-op otherwise). */
export function recordImageCall(call: ImageCall, env: NodeJS.ProcessEnv = process.env): void {
  const file = env[IMAGE_TIMINGS_ENV];
  if (file) appendFileSync(file, `${JSON.stringify(call)}\n`);
}

export function readImageCalls(file: string): ImageCall[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as ImageCall);
}

function describeBuild(image: ImageTiming): string {
  const steps = (image.steps ?? []).map((step) => {
    const name = step.label.replace(`${image.arch}: `, "");
    const layers = name === "docker build" && image.layers ? `, ${image.layers.cached} of ${image.layers.steps} layers cached` : "";
    const reused = /^reused\b/.test(step.detail) ? ", reused" : "";
    return `${name} ${formatSeconds(step.seconds)}${reused}${layers}`;
  });
  return `built in ${formatSeconds(image.seconds)}${steps.length ? ` (${steps.join("; ")})` : ""}`;
}

/**
 * The summary's lines for a run's image work: per arch, every build with the time of each of its
 * steps and the layer cache, and the calls that found the image current (no build); then the
 * prerequisites every call pays. Empty when the run built or checked no image.
 */
export function formatImageTimings(calls: readonly ImageCall[]): string[] {
  if (!calls.length) return [];
  const arches = [...new Set(calls.flatMap((call) => call.images.map((image) => image.arch)))].sort();
  const lines = arches.map((arch) => {
    const images = calls.flatMap((call) => call.images.filter((image) => image.arch === arch));
    const builds = images.filter((image) => image.outcome === "built");
    const current = images.filter((image) => image.outcome === "current");
    const parts = builds.map(describeBuild);
    if (current.length) {
      const seconds = current.reduce((sum, image) => sum + image.seconds, 0);
      const checks = `${current.length} ${current.length === 1 ? "check" : "checks"}`;
      parts.push(`${builds.length ? `then current for ${checks}` : `current (recipe unchanged, no build) for ${checks}`}, ${formatSeconds(seconds)} in all`);
    }
    return `image ${arch}: ${parts.join("; ")}`;
  });
  const prerequisites = calls.reduce((sum, call) => sum + call.prerequisitesSeconds, 0);
  const runs = `${calls.length} ${calls.length === 1 ? "call" : "calls"}`;
  lines.push(`image prerequisites (engine and tool probes, supervisor bundle): ${runs}, ${formatSeconds(prerequisites)} in all`);
  return lines;
}

/**
 * The build step that writes OpenClaw's compile cache (container/compile-cache/warm.ts), seen from
 * the host: which files it needs, and what it said in a build's output. Both moltlab's image
 * (container/Dockerfile) and the layer on a user's image (user-image.ts) run it.
 */
import { join } from "node:path";
import { ROOT } from "../../core/host.ts";

/** The warm-up program. */
export const COMPILE_CACHE_WARM_UP = join(ROOT, "container/compile-cache/warm.ts");
/** The files container/Dockerfile mounts for the step: the warm-up and what it imports. */
export const COMPILE_CACHE_STEP = [COMPILE_CACHE_WARM_UP, join(ROOT, "container/compile-cache/tag.ts")];

/** The one line the warm-up prints (and the Dockerfile's emulated-arch branch), as BuildKit shows it: `#17 12.16 OpenClaw compile cache: …`. */
const SAID = /^#\d+ [\d.]+ OpenClaw compile cache: (.*)$/;
/** The step's own header line, `#17 [stage-3  8/11] RUN --mount=…compile-cache…`: its id. */
const STEP = /^#(\d+) \[[^\]]*\] RUN .*compile-cache/;

/** Why a build for `arch` on a `host` of another arch makes no cache: said by the user's layer and by its report. */
export function emulatedBuild(arch: string, host: string): string {
  return `linux/${arch} is built under emulation on this linux/${host} host`;
}

/**
 * What the step said in BuildKit's plain progress output (`#17 12.16 OpenClaw compile cache: …`):
 * the cache it made or why it made none; when BuildKit answered the step from its cache it ran
 * nothing, and that is what this says. Undefined when the build had no such step.
 */
export function warmUpOutcome(progress: string): string | undefined {
  const lines = progress.split("\n");
  const said = lines.map((line) => SAID.exec(line)?.[1]).filter((text) => text !== undefined);
  if (said.length) return said.at(-1)!.trim();
  const step = lines.map((line) => STEP.exec(line)?.[1]).find((id) => id !== undefined);
  if (step && lines.some((line) => line.trim() === `#${step} CACHED`)) return "as in the previous build (its layer came from the build cache)";
  return undefined;
}

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

/** The prefix of the one line the warm-up prints (and the Dockerfile's emulated-arch branch). */
const SAID = "OpenClaw compile cache: ";

/**
 * What the step said in BuildKit's plain progress output (`#17 12.16 OpenClaw compile cache: …`):
 * the cache it made or why it made none; when BuildKit answered the step from its cache it ran
 * nothing, and that is what this says. Undefined when the build had no such step.
 */
export function warmUpOutcome(progress: string): string | undefined {
  const lines = progress.split("\n");
  const said = lines.map((line) => new RegExp(`^#\\d+ [\\d.]+ ${SAID}(.*)$`).exec(line)?.[1]).filter((text) => text !== undefined);
  if (said.length) return said.at(-1)!.trim();
  const step = lines.map((line) => /^#(\d+) \[[^\]]*\] RUN .*compile-cache/.exec(line)?.[1]).find((id) => id !== undefined);
  if (step && lines.some((line) => line.trim() === `#${step} CACHED`)) return "as in the previous build (its layer came from the build cache)";
  return undefined;
}

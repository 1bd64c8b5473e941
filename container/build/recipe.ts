import { createHash } from "node:crypto";
import { BASE_APT_PACKAGES, type Tool } from "../tools/manifest.ts";
import type { Arch } from "../../contract/arch.ts";

/** Bump when the build pipeline changes what it puts into an image for the same inputs. */
export const RECIPE_VERSION = 1;

export interface RecipeInputs {
  arch: Arch;
  openclawVersion: string;
  tools: readonly Tool[];
  dockerfile: string;
  defaultConfig: string;
  /** The compile-cache step's files, their text (the Dockerfile runs them). */
  compileCacheStep: string;
  supervisorDigest: string;
  /** Image id of moltlab/node:24-bookworm-slim-<arch>: a rebuilt base rebuilds this image. */
  baseImageId: string;
  goVersion: string;
  npmVersion: string;
}

/**
 * A digest of everything that decides the image's content, computed *before* any
 * staging: when the image's `moltlab.recipe` label matches, `moltlab image` does
 * nothing for that arch (the fast no-op, like `moltlab setup`). Network state (a
 * module the proxy does not serve, an unreachable download) is not an input: to
 * retry those, remove the image (`docker rmi`) and build again.
 */
export function imageRecipe(inputs: RecipeInputs): string {
  const ordered = [
    RECIPE_VERSION,
    inputs.arch,
    inputs.openclawVersion,
    inputs.tools,
    BASE_APT_PACKAGES,
    inputs.dockerfile,
    inputs.defaultConfig,
    inputs.compileCacheStep,
    inputs.supervisorDigest,
    inputs.baseImageId,
    inputs.goVersion,
    inputs.npmVersion,
  ];
  return createHash("sha256").update(JSON.stringify(ordered)).digest("hex").slice(0, 16);
}

import type { Arch } from "./arch.ts";

/** The OpenClaw release the image pins (npm `openclaw@<version>`); `moltlab image -- --openclaw` builds another. */
export const OPENCLAW_VERSION = "2026.9.6";

export const IMAGE_REPOSITORY = "moltlab/openclaw";
/** Your own image with moltlab's layer on top (container/build/user-image.ts): moltlab/user-openclaw[-<purpose>]:<arch>. */
export const LAYERED_IMAGE_REPOSITORY = "moltlab/user-openclaw";

/** Whether an image (as Docker names a container's) is one moltlab runs OpenClaw from: its own or a layered one of yours. */
export function isOpenclawImage(image: string): boolean {
  const colon = image.lastIndexOf(":");
  const repository = colon < 0 ? image : image.slice(0, colon);
  return repository === IMAGE_REPOSITORY || repository === LAYERED_IMAGE_REPOSITORY || repository.startsWith(`${LAYERED_IMAGE_REPOSITORY}-`);
}

/** The locally built image of an OpenClaw version for one platform: moltlab/openclaw:<version>-<arch>. */
export function openclawImage(version: string, arch: Arch): string {
  return `${IMAGE_REPOSITORY}:${version}-${arch}`;
}

/**
 * The first OpenClaw release without `gateway.controlUi.allowInsecureAuth`: it lists the key as
 * retired, calls a config that has it invalid, and its startup migration rewrites openclaw.json
 * without it (a `.bak` beside it). 2026.7.35 still reads it; 2026.8.1 and every later release, up to
 * the pinned one, retire it (checked in the npm tarballs).
 */
export const INSECURE_AUTH_RETIRED_IN = "2026.8.1";

/**
 * Whether an OpenClaw version ("2026.7.35", "OpenClaw 2026.9.6 (eb377ac)", "2026.8.1-beta.2") still
 * has the insecure Control UI login. A prerelease counts as its release; a version that cannot be
 * read counts as current (no key), since writing a retired key costs every boot a config migration.
 */
export function hasInsecureControlUiAuth(version: string | undefined): boolean {
  const parts = (raw: string | undefined) =>
    /(\d+)\.(\d+)\.(\d+)/
      .exec(raw ?? "")
      ?.slice(1)
      .map(Number);
  const found = parts(version);
  const retired = parts(INSECURE_AUTH_RETIRED_IN)!;
  if (!found) return false;
  for (let index = 0; index < 3; index++) if (found[index] !== retired[index]) return found[index]! < retired[index]!;
  return false;
}

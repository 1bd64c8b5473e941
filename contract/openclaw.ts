import type { Arch } from "./arch.ts";

/** The OpenClaw release the image pins (npm `openclaw@<version>`); `moltlab image -- --openclaw` builds another. */
export const OPENCLAW_VERSION = "2026.9.6";

export const IMAGE_REPOSITORY = "moltlab/openclaw";

/** The locally built image of an OpenClaw version for one platform: moltlab/openclaw:<version>-<arch>. */
export function openclawImage(version: string, arch: Arch): string {
  return `${IMAGE_REPOSITORY}:${version}-${arch}`;
}

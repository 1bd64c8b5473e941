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

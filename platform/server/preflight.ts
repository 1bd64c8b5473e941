/**
 * Checks before a container is created, for what Docker's own errors would not explain: the
 * image must be local (moltlab never pulls) and of the spec's platform, a named network must
 * exist. Each failure says which command fixes it.
 */
import type Docker from "dockerode";
import { PlatformError } from "../client/errors.ts";
import { namedNetwork } from "../client/types.ts";
import { isNotFound } from "./docker-errors.ts";
import type { NormalizedSpec } from "./spec.ts";

export async function preflight(docker: Docker, spec: NormalizedSpec): Promise<void> {
  await checkImage(docker, spec);
  await checkNetwork(docker, spec);
}

async function checkImage(docker: Docker, spec: NormalizedSpec): Promise<void> {
  const arch = spec.platform.split("/")[1]!;
  let image: Docker.ImageInspectInfo;
  try {
    image = await docker.getImage(spec.image).inspect();
  } catch (error) {
    if (isNotFound(error)) throw new PlatformError("image_missing", `image ${spec.image} is not in the local Docker engine; ${imageFix(spec.image, arch)}`);
    throw error;
  }
  if (image.Architecture !== arch) {
    throw new PlatformError(
      "image_platform_mismatch",
      `image ${spec.image} is linux/${image.Architecture} but the spec asks for ${spec.platform}; ${imageFix(spec.image, arch)}, or set platform to linux/${image.Architecture}`,
    );
  }
}

async function checkNetwork(docker: Docker, spec: NormalizedSpec): Promise<void> {
  const network = namedNetwork(spec.network);
  if (!network) return;
  try {
    await docker.getNetwork(network).inspect();
  } catch (error) {
    if (!isNotFound(error)) throw error;
    throw new PlatformError(
      "network_missing",
      `the Docker network ${network} (spec network "${spec.network}") does not exist; create it (\`docker network create ${network}\`; docker compose creates its own networks), or use network bridge`,
    );
  }
}

/** The command that makes a missing image, by whose image it is. moltlab never pulls. */
export function imageFix(image: string, arch: string): string {
  if (image.startsWith("moltlab/openclaw:")) return `build it with \`npm run image -- --platform ${arch}\` (moltlab never pulls)`;
  if (image.startsWith("moltlab/node:") || image.startsWith("moltlab/debian:")) return "make it with `npm run setup` (moltlab never pulls)";
  return `build it locally, e.g. \`docker buildx build --platform linux/${arch} --load -t ${image} <dir>\` (moltlab never pulls)`;
}

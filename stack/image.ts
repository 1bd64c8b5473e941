/**
 * The OpenClaw image the platform runs: `npm run image`'s moltlab/openclaw:<version>-<arch>,
 * never pulled. `npm run dev` builds it when it is missing or stale (ensureOpenClawImage); the
 * compose containers service cannot build (it runs in a container) and checks it is there for
 * the right platform, naming the host command that makes it (checkOpenClawImage).
 */
import { join } from "node:path";
import type Docker from "dockerode";
import { cacheDir } from "../core/host.ts";
import { UserError } from "../core/errors.ts";
import type { StepRunner } from "../core/ui.ts";
import type { Arch } from "../contract/arch.ts";
import { OPENCLAW_VERSION, openclawImage } from "../contract/openclaw.ts";

export interface OpenClawImage {
  tag: string;
  version: string;
  arch: Arch;
  /** The platform the Worker asks the Containers platform for (MOLTLAB_CONTAINER_PLATFORM). */
  platform: `linux/${Arch}`;
  /** The host command that builds it. */
  buildCommand: string;
}

export function openclawImageFor(arch: Arch, version: string = OPENCLAW_VERSION): OpenClawImage {
  const buildCommand = `npm run image -- --platform ${arch}${version === OPENCLAW_VERSION ? "" : ` --openclaw ${version}`}`;
  return { tag: openclawImage(version, arch), version, arch, platform: `linux/${arch}`, buildCommand };
}

/** Builds the pinned version's image for `arch` unless it is current (its own steps say which). */
export async function ensureOpenClawImage(arch: Arch, steps: StepRunner): Promise<OpenClawImage> {
  // Loaded on demand: only `npm run dev` builds.
  const { ensureImages } = await import("../container/build/index.ts");
  const image = openclawImageFor(arch);
  const [built] = await ensureImages({ arches: [arch], openclawVersion: image.version }, steps);
  return built ? { ...image, tag: built.tag } : image;
}

/**
 * The user's own Dockerfile, built with the supervisor layered on top (container/build/user-image.ts):
 * rebuilt on every start (BuildKit's cache keeps an unchanged one quick). Its base images must be
 * on this engine; the error names the missing ones and how to get them.
 */
export async function ensureUserImage(dockerfile: string, arch: Arch, steps: StepRunner): Promise<OpenClawImage> {
  const { buildLayeredImage } = await import("../container/build/user-image.ts");
  let built: Awaited<ReturnType<typeof buildLayeredImage>> | undefined;
  await steps.step(`${arch}: your image`, async (context) => {
    built = await buildLayeredImage({
      dockerfile,
      arch,
      cache: cacheDir(),
      logFile: join(cacheDir(), "user-image.log"),
      kind: "image",
      progress: (text) => context.progress(text),
    });
    const { facts } = built;
    return {
      status: "done",
      detail: `${built.tag}: OpenClaw ${facts.openclawVersion || "(version unknown)"}, gateway as ${facts.user || "root"}, init ${facts.init || "tini (added)"}; OpenClaw compile cache: ${built.compileCache}`,
    };
  });
  return {
    tag: built!.tag,
    version: built!.facts.openclawVersion || "unknown",
    arch,
    platform: `linux/${arch}`,
    buildCommand: `npm run dev -- --dockerfile ${dockerfile}`,
  };
}

/** The platform needs the image on the host's engine; a missing one fails `docker compose up` with the fix. */
export async function checkOpenClawImage(docker: Docker, image: OpenClawImage): Promise<void> {
  let found: Docker.ImageInspectInfo;
  try {
    found = await docker.getImage(image.tag).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    throw new UserError(
      `the OpenClaw image ${image.tag} is not in the Docker engine`,
      `build it on the host with \`${image.buildCommand}\` (moltlab never pulls), then \`docker compose up\` again`,
    );
  }
  if (found.Architecture !== image.arch) {
    throw new UserError(
      `the image ${image.tag} is linux/${found.Architecture}, not ${image.platform}`,
      `rebuild it on the host with \`${image.buildCommand}\``,
    );
  }
}

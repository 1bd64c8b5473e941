import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GenericContainer } from "testcontainers";
import { inspectImage } from "../../core/docker.ts";
import { hostArch } from "../../core/host.ts";
import { LABEL_RECIPE } from "../../core/labels.ts";

/**
 * A test tool image for the host platform, `moltlab-tools/<name>:<arch>`, built from
 * `fixtures/<name>/Dockerfile` unless the engine has it already built from this very
 * Dockerfile: tool images survive the per-run sweep, and an edited Dockerfile changes the
 * recipe digest and so triggers a rebuild. The Dockerfile labels itself moltlab.kind=tool
 * and takes TARGETARCH and RECIPE as build arguments.
 */
export async function ensureToolImage(name: string): Promise<string> {
  const arch = hostArch();
  const tag = `moltlab-tools/${name}:${arch}`;
  const fixture = join(import.meta.dirname, "fixtures", name);
  const recipe = createHash("sha256")
    .update(readFileSync(join(fixture, "Dockerfile")))
    .digest("hex")
    .slice(0, 16);
  if ((await inspectImage(tag))?.labels[LABEL_RECIPE] === recipe) return tag;
  // deleteOnExit would remove it after the run.
  await GenericContainer.fromDockerfile(fixture)
    .withBuildArgs({ TARGETARCH: arch, RECIPE: recipe })
    .withPlatform(`linux/${arch}`)
    .build(tag, { deleteOnExit: false });
  return tag;
}

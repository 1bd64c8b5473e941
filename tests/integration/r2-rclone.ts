import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GenericContainer, type StartedTestContainer } from "testcontainers";
import { inspectImage } from "../../cli/docker.ts";
import { hostArch } from "../../cli/host.ts";
import { LABEL_RECIPE, moltlabLabels } from "../../cli/labels.ts";

const FIXTURE = join(import.meta.dirname, "fixtures/rclone");

/** Host platform only: rclone is a client here, and emulation would only slow it down. */
export function rcloneImage(): string {
  return `moltlab-tools/rclone:${hostArch()}`;
}

/**
 * Builds the rclone tool image unless the engine has it already, built from this very
 * Dockerfile (tool images survive the per-run sweep; an edited Dockerfile changes the
 * recipe digest and so triggers a rebuild).
 */
export async function ensureRcloneImage(): Promise<string> {
  const tag = rcloneImage();
  const recipe = createHash("sha256").update(readFileSync(join(FIXTURE, "Dockerfile"))).digest("hex").slice(0, 16);
  if ((await inspectImage(tag))?.labels[LABEL_RECIPE] === recipe) return tag;
  const arch = hostArch();
  // The Dockerfile's LABEL marks it moltlab.kind=tool; deleteOnExit would remove it after the run.
  await GenericContainer.fromDockerfile(FIXTURE)
    .withBuildArgs({ TARGETARCH: arch, RECIPE: recipe })
    .withPlatform(`linux/${arch}`)
    .build(tag, { deleteOnExit: false });
  return tag;
}

/**
 * An idle rclone container on the host's network, so that it reaches a stand-in
 * listening on 127.0.0.1 and all traffic stays on loopback. rclone's configuration
 * (secret included) is in the container's environment, never on a command line.
 */
export async function startRclone(env: Record<string, string>): Promise<StartedTestContainer> {
  return new GenericContainer(await ensureRcloneImage())
    .withNetworkMode("host")
    .withEnvironment(env)
    .withLabels(moltlabLabels("test"))
    .start();
}

/** Runs a shell script in the container; fails with its output unless it exits 0. */
export async function shell(container: StartedTestContainer, script: string): Promise<string> {
  const result = await tryShell(container, script);
  if (result.exitCode !== 0) throw new Error(`exit ${result.exitCode} from:\n${script}\n--- output ---\n${result.output}`);
  return result.output;
}

export async function tryShell(container: StartedTestContainer, script: string): Promise<{ exitCode: number; output: string }> {
  const { exitCode, output } = await container.exec(["sh", "-euc", script]);
  return { exitCode, output };
}

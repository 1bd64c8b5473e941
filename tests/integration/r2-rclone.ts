import { GenericContainer, type StartedTestContainer } from "testcontainers";
import { hostArch } from "../../core/host.ts";
import { moltlabLabels } from "../../core/labels.ts";
import { ensureToolImage } from "./tool-image.ts";

/** Host platform only: rclone is a client here, and emulation would only slow it down. */
export function rcloneImage(): string {
  return `moltlab-tools/rclone:${hostArch()}`;
}

/** Builds the rclone tool image unless the engine has it from this very Dockerfile (see tool-image.ts). */
export function ensureRcloneImage(): Promise<string> {
  return ensureToolImage("rclone");
}

/**
 * An idle rclone container on the host's network, so that it reaches a stand-in
 * listening on 127.0.0.1 and all traffic stays on loopback. rclone's configuration
 * (secret included) is in the container's environment, never on a command line.
 */
export async function startRclone(env: Record<string, string>): Promise<StartedTestContainer> {
  return new GenericContainer(await ensureRcloneImage()).withNetworkMode("host").withEnvironment(env).withLabels(moltlabLabels("test")).start();
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

/**
 * A command in a running container through the engine's exec API (dockerode), with what it
 * printed (stdout and stderr, demultiplexed) and its exit code: how the tests look inside the
 * OpenClaw container the platform runs.
 */
import type Docker from "dockerode";
import { demuxLogs } from "../../platform/index.ts";

export async function execInContainer(container: Docker.Container, command: readonly string[], user: string): Promise<{ exitCode: number; output: string }> {
  const exec = await container.exec({ Cmd: [...command], User: user, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  return { exitCode: (await exec.inspect()).ExitCode ?? -1, output: demuxLogs(Buffer.concat(chunks)) };
}

/**
 * The probe app (probe-app.cjs) as a container spec on moltlab's node base image: what
 * the platform's integration tests start, and a quick way to try the platform by hand.
 * Also as an image of its own (probeImage), for callers that cannot pass a command — the
 * Worker's Sandbox starts its image's default command, as it does OpenClaw's.
 */
import { readFileSync } from "node:fs";
import type Docker from "dockerode";
import { baseImageTag } from "../../setup/base-images.ts";
import type { Arch } from "../../contract/arch.ts";
import type { ContainerSpec } from "../client/types.ts";

export const PROBE_PORT = 8080;
export const PROBE_SOURCE = readFileSync(new URL("probe-app.cjs", import.meta.url), "utf8");

export function probeSpec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  const arch = overrides.platform === "linux/arm64" ? "arm64" : "amd64";
  return { image: baseImageTag("node", arch), cmd: ["node", "-e", PROBE_SOURCE], ports: [PROBE_PORT], ...overrides };
}

export interface ProbeImageOptions {
  /** `repo:tag` of the new image. */
  tag: string;
  /** The port the probe listens on (its PORT). */
  port: number;
  /** Labels of the image (moltlabLabels("test") for a test's, so the run's sweep removes it). */
  labels: Record<string, string>;
  arch?: Arch;
}

/**
 * Makes an image whose default command is the probe on `port`: a container of the node base
 * image with that command and env is created (never started) and committed, which keeps its
 * config. Returns the image id.
 */
export async function probeImage(docker: Docker, options: ProbeImageOptions): Promise<string> {
  const container = await docker.createContainer({
    Image: baseImageTag("node", options.arch ?? "amd64"),
    Cmd: ["node", "-e", PROBE_SOURCE],
    Env: [`PORT=${options.port}`],
    Labels: options.labels,
  });
  try {
    const [repo, tag] = splitTag(options.tag);
    const committed = (await container.commit({ repo, tag })) as { Id: string };
    return committed.Id;
  } finally {
    await container.remove({ force: true });
  }
}

function splitTag(reference: string): [string, string] {
  const colon = reference.lastIndexOf(":");
  if (colon <= reference.lastIndexOf("/")) throw new Error(`${reference} has no tag; give the image as repo:tag`);
  return [reference.slice(0, colon), reference.slice(colon + 1)];
}

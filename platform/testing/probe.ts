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
/**
 * How long the tests give the memory cgroup's OOM killer to end an app that allocates past lite's
 * 256 MiB. At lite's 1/16 vCPU the allocation took 4–18 s on a quiet machine and 42–121 s in the
 * fresh-clone CI runs of 7–8 December (the kernel's own report showed no reclaim thrash: the app was
 * just starved of CPU), so this is a bound for a stuck container, not a speed check.
 */
export const OOM_KILL_WAIT_MS = 5 * 60_000;
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

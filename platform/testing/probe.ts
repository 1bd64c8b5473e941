/**
 * The probe app (probe-app.cjs) as a container spec on moltlab's node base image: what
 * the platform's integration tests start, and a quick way to try the platform by hand.
 */
import { readFileSync } from "node:fs";
import { baseImageTag } from "../../setup/base-images.ts";
import type { ContainerSpec } from "../client/types.ts";

export const PROBE_PORT = 8080;
export const PROBE_SOURCE = readFileSync(new URL("probe-app.cjs", import.meta.url), "utf8");

export function probeSpec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  const arch = overrides.platform === "linux/arm64" ? "arm64" : "amd64";
  return { image: baseImageTag("node", arch), cmd: ["node", "-e", PROBE_SOURCE], ports: [PROBE_PORT], ...overrides };
}

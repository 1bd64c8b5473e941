/**
 * The machine line under each project of `moltlab test`'s summary (core/machine-load.ts), against
 * the real engine: a container's start is counted once, and the CPU it used is counted among the
 * containers' even after it was removed (the cgroup parent keeps it).
 */
import { randomUUID } from "node:crypto";
import { cpus } from "node:os";
import { describe, expect, it } from "vitest";
import { docker } from "../../core/docker.ts";
import { hostArch } from "../../core/host.ts";
import { labelFlags, moltlabLabels } from "../../core/labels.ts";
import { startLoadWatch } from "../../core/machine-load.ts";
import { baseImageTag } from "../../setup/base-images.ts";
import { waitFor } from "../shared/wait.ts";

/** dash's `times`: the shell's own user and system time on the first line, e.g. "0m0.52s 0m0.01s". */
function shellSeconds(output: string): number {
  const [user, system] = [...(output.trim().split("\n")[0] ?? "").matchAll(/(\d+)m([\d.]+)s/g)].map((match) => Number(match[1]) * 60 + Number(match[2]));
  if (user === undefined || system === undefined) throw new Error(`no \`times\` line in ${JSON.stringify(output)}`);
  return user + system;
}

describe("the machine line of the test summary", () => {
  it("counts a container's start, and its CPU among the containers' after it is gone", async () => {
    // Only this test's container: other files start theirs at the same time.
    const label = `moltlab.machine-load=${randomUUID()}`;
    const image = baseImageTag("debian", hostArch());
    const watch = startLoadWatch({ cores: cpus().length, starts: true, labels: [label] });
    const run = await docker([
      "run",
      "--rm",
      ...labelFlags(moltlabLabels("test")),
      "--label",
      label,
      image,
      "sh",
      "-c",
      "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done; times",
    ]);
    const used = shellSeconds(run.stdout);
    expect(used).toBeGreaterThan(0);
    await waitFor("the start in the engine's event stream", () => watch.startsSoFar().length > 0, 30_000, 100);
    const load = await watch.stop();

    expect(load.starts).toEqual([image]);
    expect(load.host!.busy).toBeGreaterThanOrEqual(used);
    // What the cores could give over the watch (busy or idle): its seconds on every core, to the
    // counters' 10 ms ticks. Under full load (other files run beside this one) busy is all of it.
    expect(Math.abs(load.host!.total - load.seconds * load.cores)).toBeLessThan(0.05 * load.seconds * load.cores + 0.1);
    expect(load.host!.busy).toBeLessThanOrEqual(load.host!.total + 1e-6);
    const driver = (await docker(["info", "--format", "{{.CgroupDriver}}"])).stdout.trim();
    if (driver === "cgroupfs") expect(load.containers!).toBeGreaterThanOrEqual(used - 0.01);
    else expect(load.containers).toBeUndefined();
  });
});

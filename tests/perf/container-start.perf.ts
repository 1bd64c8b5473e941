import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";
import { hostArch } from "../../core/host.ts";
import { labelFlags, moltlabLabels } from "../../core/labels.ts";
import { baseImageTag } from "../../setup/base-images.ts";
import { recordFigure, row, sample } from "./report.ts";
import { benchRuns } from "./settings.ts";
import { ARCHES } from "../../contract/arch.ts";

const RUNS = benchRuns(5);
const labels = labelFlags(moltlabLabels("test"));

// How much a container start plus a Node start costs per platform; the ratio is the
// price of emulation on this host (Cloudflare runs amd64 natively, the user's boards arm64).
it("times `docker run … node -e 0` on each platform", async () => {
  const order = [hostArch(), ...ARCHES.filter((arch) => arch !== hostArch())];
  const rows = [];
  for (const arch of order) {
    const image = baseImageTag("node", arch);
    const samples = await sample(RUNS, () => {
      const out = execFileSync("docker", ["run", "--rm", "--platform", `linux/${arch}`, ...labels, image, "node", "-e", "console.log(process.arch)"], {
        encoding: "utf8",
      });
      expect(out.trim()).toBe(arch === "amd64" ? "x64" : "arm64");
    });
    rows.push(row(`${arch}${arch === hostArch() ? " (native)" : " (emulated)"}`, samples));
  }
  recordFigure({
    id: "container-start.node",
    title: "docker run of the Node base image + a Node start, per platform",
    unit: "ms",
    rows,
    notes: [`${baseImageTag("node", "amd64")} and ${baseImageTag("node", "arm64")}; the second row's ratio is the cost of QEMU emulation for a short process.`],
  });
});

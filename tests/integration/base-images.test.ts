import { join } from "node:path";
import { GenericContainer } from "testcontainers";
import { describe, expect, it } from "vitest";
import { unameMachine } from "../../core/host.ts";
import { moltlabLabels } from "../../core/labels.ts";
import { ARCHES } from "../../contract/arch.ts";

const FIXTURE = join(import.meta.dirname, "fixtures/uname");

describe("integration project", () => {
  it("runs on Node 24", () => {
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(24);
  });

  describe.each(ARCHES)("a tiny image from the base image, linux/%s", (arch) => {
    it("builds with Testcontainers, runs, and reports the platform at build and run time", async () => {
      const image = await GenericContainer.fromDockerfile(FIXTURE)
        .withBuildArgs({ TARGETARCH: arch })
        .withPlatform(`linux/${arch}`)
        .build(`moltlab-test/uname:${arch}`, { deleteOnExit: false });
      const container = await image.withPlatform(`linux/${arch}`).withLabels(moltlabLabels("test")).start();
      try {
        const runtime = await container.exec(["uname", "-m"]);
        const buildTime = await container.exec(["cat", "/etc/moltlab-build-machine"]);
        const node = await container.exec(["node", "--version"]);
        expect(runtime.output.trim()).toBe(unameMachine(arch));
        expect(buildTime.output.trim()).toBe(unameMachine(arch));
        expect(node.output.trim()).toMatch(/^v24\./);
      } finally {
        await container.stop();
      }
    });
  });
});

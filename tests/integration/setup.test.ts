import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { docker } from "../../core/docker.ts";
import { hostArch, ROOT } from "../../core/host.ts";
import { baseImagesNeedingWork, baseImageTag } from "../../setup/base-images.ts";

function setup() {
  const result = spawnSync(process.execPath, [join(ROOT, "bin/moltlab.mjs"), "setup"], { cwd: ROOT, encoding: "utf8", timeout: 600_000 });
  return { code: result.status, output: result.stdout + result.stderr };
}

describe("moltlab setup on a ready machine", () => {
  it("repairs a base image left wrong by an interrupted run, then has nothing to do", async () => {
    const tag = baseImageTag("node", hostArch());
    // What a half-finished run can leave: the tag on some other image, without our recipe label.
    await docker(["tag", baseImageTag("debian", hostArch()), tag]);
    expect(await baseImagesNeedingWork()).toEqual([{ tag, state: "stale" }]);

    const repair = setup();
    expect(repair.code).toBe(0);
    expect(repair.output).toContain(`${tag}: stale, making it`);
    expect(repair.output).toMatch(/\[done\] base images — 1 of 4 images made/);
    expect(await baseImagesNeedingWork()).toEqual([]);

    const again = setup();
    expect(again.code).toBe(0);
    expect(again.output).not.toContain("[done]");
    expect(again.output).toMatch(/setup: nothing to do, this machine is ready/);
  });
});

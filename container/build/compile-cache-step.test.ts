import { describe, expect, it } from "vitest";
import { warmUpOutcome } from "./compile-cache-step.ts";

// Excerpts of BuildKit's plain progress output from real builds (/root/.cache/moltlab/image.log).
const HEADER =
  '#17 [stage-3  8/11] RUN --mount=type=bind,source=compile-cache,target=/mnt     if [ "arm64" = "amd64" ]; then node /mnt/warm.ts;     else echo "OpenClaw compile cache: skipped: linux/arm64 is built under emulation on this linux/amd64 host"; fi';

describe("what the compile-cache step said in a build's output", () => {
  it("quotes the warm-up's line, not the step's command line that contains the same words", () => {
    const made = `${HEADER}\n#17 12.16 OpenClaw compile cache: 5747 modules, 25.5 MB, for v24.21.0-x64-964aae3f-1000 (gateway ready after 9.7 s, code 0 on SIGTERM)\n#17 DONE 12.9s`;
    expect(warmUpOutcome(made)).toBe("5747 modules, 25.5 MB, for v24.21.0-x64-964aae3f-1000 (gateway ready after 9.7 s, code 0 on SIGTERM)");
    const skipped = `${HEADER}\n#17 0.229 OpenClaw compile cache: skipped: linux/arm64 is built under emulation on this linux/amd64 host\n#17 DONE 0.3s`;
    expect(warmUpOutcome(skipped)).toBe("skipped: linux/arm64 is built under emulation on this linux/amd64 host");
  });

  it("says the layer came from the build cache when the step ran nothing, and nothing for a build without the step", () => {
    expect(warmUpOutcome(`${HEADER}\n#17 CACHED\n`)).toMatch(/previous build.*build cache/);
    expect(warmUpOutcome("#5 [2/3] RUN echo hi\n#5 CACHED\n")).toBeUndefined();
    expect(warmUpOutcome(HEADER)).toBeUndefined();
  });
});

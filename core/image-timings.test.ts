import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatImageTimings, IMAGE_TIMINGS_ENV, type ImageCall, layerCacheFromProgress, readImageCalls, recordImageCall } from "./image-timings.ts";

// BuildKit's plain progress, as `docker buildx build --progress=plain` prints it (trimmed).
const PROGRESS = `#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 DONE 0.0s

#4 [1/8] FROM docker.io/moltlab/node:24-bookworm-slim-amd64
#4 DONE 0.0s

#6 [5/8] COPY bin/ /usr/local/bin/
#6 CACHED

#7 [2/8] RUN set -eu; apt-get update
#7 0.512 Get:1 http://deb.debian.org/debian bookworm InRelease
#7 DONE 41.2s

#8 [builder 3/8] RUN mkdir -p /home/node/.openclaw
#8 CACHED

#13 exporting to image
#13 DONE 0.4s
`;

describe("image build timings", () => {
  it("counts the Dockerfile steps BuildKit answered from cache, FROM and internal steps aside", () => {
    expect(layerCacheFromProgress(PROGRESS)).toEqual({ steps: 3, cached: 2 });
    expect(layerCacheFromProgress("")).toEqual({ steps: 0, cached: 0 });
  });

  it("itemises each build's steps and cache per arch, and the calls that found the image current", () => {
    const calls: ImageCall[] = [
      {
        prerequisitesSeconds: 2.5,
        images: [
          {
            arch: "arm64",
            tag: "moltlab/openclaw:1-arm64",
            outcome: "built",
            seconds: 252,
            steps: [
              { label: "arm64: npm packages", seconds: 1.2, detail: "reused openclaw 1" },
              { label: "arm64: docker build", seconds: 240, detail: "…" },
            ],
            layers: { steps: 7, cached: 5 },
          },
        ],
      },
      { prerequisitesSeconds: 1.5, images: [{ arch: "arm64", tag: "moltlab/openclaw:1-arm64", outcome: "current", seconds: 0.4 }] },
      { prerequisitesSeconds: 1, images: [{ arch: "amd64", tag: "moltlab/openclaw:1-amd64", outcome: "current", seconds: 0.3 }] },
    ];
    expect(formatImageTimings(calls)).toEqual([
      "image amd64: current (recipe unchanged, no build) for 1 check, 0.3s in all",
      "image arm64: built in 4m12s (npm packages 1.2s, reused; docker build 4m0s, 5 of 7 layers cached); then current for 1 check, 0.4s in all",
      "image prerequisites (engine and tool probes, supervisor bundle): 3 calls, 5.0s in all",
    ]);
    expect(formatImageTimings([])).toEqual([]);
  });

  it("writes a line per call only where a test run asked for it", () => {
    const dir = mkdtempSync(join(tmpdir(), "moltlab-image-timings-"));
    try {
      const file = join(dir, "timings.jsonl");
      const call: ImageCall = { prerequisitesSeconds: 1, images: [{ arch: "amd64", tag: "t", outcome: "current", seconds: 0.2 }] };
      recordImageCall(call, {});
      expect(readImageCalls(file)).toEqual([]);
      recordImageCall(call, { [IMAGE_TIMINGS_ENV]: file });
      recordImageCall(call, { [IMAGE_TIMINGS_ENV]: file });
      expect(readImageCalls(file)).toEqual([call, call]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

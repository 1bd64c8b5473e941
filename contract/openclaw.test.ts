import { describe, expect, it } from "vitest";
import { hasInsecureControlUiAuth, isOpenclawImage } from "./openclaw.ts";

describe("OpenClaw's images", () => {
  it("tells OpenClaw's images (moltlab's and a layered one of yours) from the others", () => {
    expect(
      [
        "moltlab/openclaw:2026.9.6-arm64",
        "moltlab/user-openclaw:amd64",
        "moltlab/user-openclaw-test:amd64",
        "moltlab/user-image:amd64",
        "moltlab-tools/rclone:amd64",
        "moltlab/compose:amd64",
      ].map(isOpenclawImage),
    ).toEqual([true, true, true, false, false, false]);
  });
});

describe("what an OpenClaw version still reads", () => {
  it("has the insecure Control UI login before 2026.8.1 only, counting a prerelease as its release and an unreadable version as current", () => {
    const versions = [
      "2026.7.35",
      "2026.7.1-beta.6",
      "OpenClaw 2026.7.2 (abc)",
      "2025.12.40",
      "2026.8.1-beta.1",
      "2026.8.1",
      "2026.9.6",
      "2027.1.0",
      "unknown",
      undefined,
    ];
    expect(versions.map(hasInsecureControlUiAuth)).toEqual([true, true, true, true, false, false, false, false, false, false]);
  });
});

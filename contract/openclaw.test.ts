import { describe, expect, it } from "vitest";
import { isOpenclawImage } from "./openclaw.ts";

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

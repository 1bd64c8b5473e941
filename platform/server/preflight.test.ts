import { describe, expect, it } from "vitest";
import { imageFix } from "./preflight.ts";

describe("the fix for a missing image", () => {
  it("names the moltlab command that builds it, or a local build, and never a pull", () => {
    expect(imageFix("moltlab/openclaw:2026.9.6-arm64", "arm64")).toBe("build it with `npm run image -- --platform arm64` (moltlab never pulls)");
    expect(imageFix("moltlab/node:24-bookworm-slim-amd64", "amd64")).toBe("make it with `npm run setup` (moltlab never pulls)");
    expect(imageFix("me/app:1", "amd64")).toBe(
      "build it locally, e.g. `docker buildx build --platform linux/amd64 --load -t me/app:1 <dir>` (moltlab never pulls)",
    );
  });
});

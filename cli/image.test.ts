import { describe, expect, it } from "vitest";
import { OPENCLAW_VERSION } from "../contract/openclaw.ts";
import { parseImageArgs } from "./image.ts";

describe("moltlab image options", () => {
  it("defaults to both platforms and the pinned openclaw", () => {
    expect(parseImageArgs([])).toEqual({ arches: ["amd64", "arm64"], openclawVersion: OPENCLAW_VERSION });
  });

  it("accepts one platform, linux/ prefixes and --flag=value", () => {
    expect(parseImageArgs(["--platform", "linux/arm64", "--openclaw=2026.10.1"])).toEqual({ arches: ["arm64"], openclawVersion: "2026.10.1" });
  });

  it("refuses unknown platforms, ranges and options with the fix", () => {
    expect(() => parseImageArgs(["--platform", "riscv64"])).toThrow(/not amd64, arm64 or all/);
    expect(() => parseImageArgs(["--openclaw", "^2026.9.0"])).toThrow(/not an exact version/);
    expect(() => parseImageArgs(["--force"])).toThrow(/unknown option --force/);
    expect(() => parseImageArgs(["--platform"])).toThrow(/--platform needs a value/);
  });
});

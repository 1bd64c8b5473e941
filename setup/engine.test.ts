import { describe, expect, it } from "vitest";
import { UserError } from "../core/errors.ts";
import { assertEngineSupported } from "./engine.ts";

const engine = (apiVersion: string) => ({ version: "x", apiVersion, os: "linux", arch: "amd64" });

describe("engine version check", () => {
  it("accepts Docker 20.10 (API 1.41) and newer", () => {
    expect(() => assertEngineSupported(engine("1.41"))).not.toThrow();
    expect(() => assertEngineSupported(engine("1.47"))).not.toThrow();
  });

  it("refuses an older engine and says to upgrade it", () => {
    const check = () => assertEngineSupported(engine("1.40"));
    expect(check).toThrow(UserError);
    expect(check).toThrow(/is x \(API 1\.40\); moltlab needs API 1\.41 \(Docker 20\.10\) or newer/);
  });
});

import { describe, expect, it } from "vitest";
import { cacheDir, foreignArch, hostArch, qemuHandler, unameMachine } from "./host.ts";

describe("host facts", () => {
  it("maps Node's CPU names to Docker platforms", () => {
    expect(hostArch("x64")).toBe("amd64");
    expect(hostArch("arm64")).toBe("arm64");
    expect(() => hostArch("ppc64")).toThrow(/unsupported host CPU "ppc64"/);
  });

  it("picks the other platform as the one needing emulation", () => {
    expect(foreignArch("amd64")).toBe("arm64");
    expect(foreignArch("arm64")).toBe("amd64");
  });

  it("knows what uname and binfmt call each platform", () => {
    expect(unameMachine("amd64")).toBe("x86_64");
    expect(unameMachine("arm64")).toBe("aarch64");
    expect(qemuHandler("arm64")).toBe("qemu-aarch64");
    expect(qemuHandler("amd64")).toBe("qemu-x86_64");
  });

  it("puts the cache under MOLTLAB_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache", () => {
    expect(cacheDir({ MOLTLAB_CACHE_DIR: "/x/y", XDG_CACHE_HOME: "/xdg" })).toBe("/x/y");
    expect(cacheDir({ XDG_CACHE_HOME: "/xdg" })).toBe("/xdg/moltlab");
    expect(cacheDir({})).toMatch(/\/\.cache\/moltlab$/);
  });
});

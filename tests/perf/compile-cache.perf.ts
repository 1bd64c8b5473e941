/**
 * What the image's OpenClaw compile cache (container/compile-cache/warm.ts) is worth, side by
 * side in one run: OpenClaw's gateway from a fresh container to /readyz 200 at standard-1's
 * CPU share, with the cache and with Node told to ignore it (NODE_DISABLE_COMPILE_CACHE, which
 * OpenClaw's launcher honours: what every cold start did before the image carried one), the two
 * interleaved. And a short CLI command (`openclaw config get`), which uses a small part of
 * OpenClaw: whether reading the cache still pays there.
 *
 * The gateway runs bare (no supervisor, no R2, a throwaway HOME), so the figure is the gateway's
 * own start; the cold-start figure (sandbox.perf.ts) has the whole path.
 */
import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";
import { ensureImages } from "../../container/build/index.ts";
import { hostArch } from "../../core/host.ts";
import { labelFlags, moltlabLabels } from "../../core/labels.ts";
import { StepRunner } from "../../core/ui.ts";
import { INSTANCE_TYPES } from "../../contract/instance-types.ts";
import { OPENCLAW_VERSION, openclawImage } from "../../contract/openclaw.ts";
import { recordFigure, row } from "./report.ts";
import { benchRuns } from "./settings.ts";

const RUNS = benchRuns(3);
const INSTANCE_TYPE = "standard-1";
const labels = labelFlags(moltlabLabels("test"));

/**
 * Run inside the container as node: starts the gateway (the cache off when argv says so), polls
 * /readyz from this process (no process per poll, which would take from the gateway's half core),
 * prints the milliseconds to 200 and stops it.
 */
const GATEWAY_READY = `
const { spawn } = require("node:child_process");
const { mkdirSync } = require("node:fs");
mkdirSync("/tmp/bench-home", { recursive: true });
const env = { ...process.env, HOME: "/tmp/bench-home", OPENCLAW_GATEWAY_TOKEN: "bench-not-a-secret-0123456789abcdef" };
if (process.argv[1] === "off") env.NODE_DISABLE_COMPILE_CACHE = "1";
const started = performance.now();
const gateway = spawn("openclaw", ["gateway", "--port", "18789", "--bind", "loopback", "--allow-unconfigured"], { env, stdio: "ignore" });
gateway.on("exit", (code) => { console.error("gateway exited " + code + " before it was ready"); process.exit(1); });
const poll = async () => {
  for (;;) {
    const status = await fetch("http://127.0.0.1:18789/readyz").then((r) => r.status, () => 0);
    if (status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.log(Math.round(performance.now() - started));
  gateway.removeAllListeners("exit");
  gateway.kill("SIGTERM");
};
poll();
`;

/** A short CLI command, timed in the container, as node: the cache's cost where little of it is used. */
const CLI = `
const { execFileSync } = require("node:child_process");
const env = { ...process.env };
if (process.argv[1] === "off") env.NODE_DISABLE_COMPILE_CACHE = "1";
const started = performance.now();
try { execFileSync("openclaw", ["config", "get", "gateway.port"], { env, stdio: "ignore" }); } catch {}
console.log(Math.round(performance.now() - started));
`;

function inContainer(script: string, mode: "on" | "off"): number {
  const image = openclawImage(OPENCLAW_VERSION, hostArch());
  const vcpu = String(INSTANCE_TYPES[INSTANCE_TYPE].vcpu);
  const out = execFileSync("docker", ["run", "--rm", ...labels, "--cpus", vcpu, "--user", "node", "--entrypoint", "node", image, "-e", script, mode], {
    encoding: "utf8",
    timeout: 10 * 60_000,
  });
  const ms = Number(out.trim().split("\n").at(-1));
  expect(ms, out).toBeGreaterThan(0);
  return ms;
}

it(`times OpenClaw's gateway start and a CLI command with and without the image's compile cache (${INSTANCE_TYPE}, ${RUNS} runs, interleaved)`, async () => {
  await ensureImages({ arches: [hostArch()], openclawVersion: OPENCLAW_VERSION }, new StepRunner((line) => console.log(line)));
  const gateway = { off: [] as number[], on: [] as number[] };
  const cli = { off: [] as number[], on: [] as number[] };
  for (let run = 0; run < RUNS; run++) {
    // Alternating which goes first, so neither always follows the other.
    const order = run % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const);
    for (const mode of order) gateway[mode].push(inContainer(GATEWAY_READY, mode));
    for (const mode of order) cli[mode].push(inContainer(CLI, mode));
  }
  const notes = [
    `moltlab/openclaw ${OPENCLAW_VERSION} for ${hostArch()} (built here, on this CPU: Node files the cache under the CPU it was made on); each sample a fresh container at ${INSTANCE_TYPE}'s ${INSTANCE_TYPES[INSTANCE_TYPE].vcpu} vCPU.`,
    "Without: NODE_DISABLE_COMPILE_CACHE=1, which OpenClaw's launcher honours: every module compiled, as in a fresh container before the image carried a cache.",
  ];
  recordFigure({
    id: "compile-cache.gateway-ready",
    title: "OpenClaw's gateway, fresh container → /readyz 200, with and without the image's compile cache",
    unit: "ms",
    rows: [row("without the cache (compiles every module)", gateway.off), row("with the image's compile cache", gateway.on)],
    notes,
  });
  recordFigure({
    id: "compile-cache.cli",
    title: "`openclaw config get gateway.port` in a fresh container, with and without the image's compile cache",
    unit: "ms",
    rows: [row("without the cache", cli.off), row("with the image's compile cache", cli.on)],
    notes: [...notes, "A short command uses a small part of OpenClaw: whether reading the cache still pays where little of it runs."],
  });
});

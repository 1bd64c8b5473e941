/**
 * What the image's OpenClaw compile cache (container/compile-cache/warm.ts) is worth, side by
 * side in one run, interleaved:
 * - OpenClaw's gateway from a fresh container to /readyz 200 at standard-1's CPU share: with
 *   Node told to ignore the cache (NODE_DISABLE_COMPILE_CACHE, which OpenClaw's launcher honours:
 *   what every cold start did before the image carried one), with the cache as OpenClaw turns it
 *   on (its main thread only: what the supervisor does), and with NODE_COMPILE_CACHE set, which
 *   reaches OpenClaw's worker threads and the Node processes it spawns too.
 *   The gateway runs bare (no supervisor, no R2, a throwaway HOME): the gateway's own start.
 * - A short CLI command (`openclaw config get`), which uses a small part of OpenClaw: whether
 *   reading the cache still pays there.
 * - The first chat turn after a boot, through the supervisor (the AI Gateway emulator answers):
 *   the cache for OpenClaw's main thread only against all its threads (NODE_COMPILE_CACHE in the
 *   container's environment, which the supervisor passes on). A first turn starts eight worker
 *   threads, which a CPU profile showed busy for most of it and a quarter of that compiling; this
 *   says whether caching them pays. It did not (7 Dec 2026), so the kit leaves the variable alone.
 */
import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";
import { ensureImages } from "../../container/build/index.ts";
import { COMPILE_CACHE_ROOT } from "../../container/compile-cache/tag.ts";
import { CONTROL_PORT, GATEWAY_PORT } from "../../contract/ports.ts";
import { hostArch } from "../../core/host.ts";
import { labelFlags, moltlabLabels } from "../../core/labels.ts";
import { StepRunner } from "../../core/ui.ts";
import { INSTANCE_TYPES } from "../../contract/instance-types.ts";
import { OPENCLAW_VERSION, openclawImage } from "../../contract/openclaw.ts";
import { chatCompletion, newGatewayToken, OpenclawContainer, openclawEnv, startEmulators } from "../integration/openclaw-harness.ts";
import { holdHostPorts } from "../shared/host-ports.ts";
import { waitForFreePorts } from "./ports.ts";
import { recordFigure, row } from "./report.ts";
import { benchRuns } from "./settings.ts";

// The first-turn figure runs OpenClaw on the host's network: ports 18789/18790 are the machine's.
holdHostPorts();

const RUNS = benchRuns(3);
/** A boot and two turns per sample, about 90 s at half a core. */
const TURN_RUNS = benchRuns(2);
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
if (process.argv[1] === "all") env.NODE_COMPILE_CACHE = ${JSON.stringify(COMPILE_CACHE_ROOT)};
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

/** off: no cache; main: as OpenClaw turns it on (the supervisor's way); all: NODE_COMPILE_CACHE set, for every thread. */
type Mode = "off" | "main" | "all";

function inContainer(script: string, mode: Mode): number {
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
  const gateway: Record<Mode, number[]> = { off: [], main: [], all: [] };
  const cli = { off: [] as number[], main: [] as number[] };
  for (let run = 0; run < RUNS; run++) {
    // Rotating which goes first, so none always follows another.
    const modes: Mode[] = ["off", "main", "all"];
    for (const mode of [...modes.slice(run % 3), ...modes.slice(0, run % 3)]) gateway[mode].push(inContainer(GATEWAY_READY, mode));
    for (const mode of run % 2 === 0 ? (["off", "main"] as const) : (["main", "off"] as const)) cli[mode].push(inContainer(CLI, mode));
  }
  const notes = [
    `moltlab/openclaw ${OPENCLAW_VERSION} for ${hostArch()} (built here, on this CPU: Node files the cache under the CPU it was made on); each sample a fresh container at ${INSTANCE_TYPE}'s ${INSTANCE_TYPES[INSTANCE_TYPE].vcpu} vCPU.`,
    "Without: NODE_DISABLE_COMPILE_CACHE=1, which OpenClaw's launcher honours: every module compiled, as in a fresh container before the image carried a cache.",
  ];
  recordFigure({
    id: "compile-cache.gateway-ready",
    title: "OpenClaw's gateway, fresh container → /readyz 200, with and without the image's compile cache",
    unit: "ms",
    rows: [
      row("without the cache (compiles every module)", gateway.off),
      row("with the image's compile cache, main thread only (as OpenClaw turns it on)", gateway.main),
      row("with it for all threads (NODE_COMPILE_CACHE set)", gateway.all),
    ],
    notes,
  });
  recordFigure({
    id: "compile-cache.cli",
    title: "`openclaw config get gateway.port` in a fresh container, with and without the image's compile cache",
    unit: "ms",
    rows: [row("without the cache", cli.off), row("with the image's compile cache", cli.main)],
    notes: [...notes, "A short command uses a small part of OpenClaw: whether reading the cache still pays where little of it runs."],
  });
});

it(
  `times the first chat turn after a boot with the cache for OpenClaw's main thread only and for all its threads (${INSTANCE_TYPE}, ${TURN_RUNS} runs, interleaved)`,
  async () => {
    await ensureImages({ arches: [hostArch()], openclawVersion: OPENCLAW_VERSION }, new StepRunner((line) => console.log(line)));
    await waitForFreePorts([GATEWAY_PORT, CONTROL_PORT], 20 * 60_000);
    const emulators = await startEmulators();
    const turns = { main: [] as number[], all: [] as number[] };
    const cpu = { main: [] as number[], all: [] as number[] };
    try {
      emulators.aiGateway.load([{ name: "compile-cache", match: { provider: "anthropic" }, reply: { text: "pong" } }]);
      for (let run = 0; run < TURN_RUNS; run++) {
        for (const mode of run % 2 === 0 ? (["main", "all"] as const) : (["all", "main"] as const)) {
          const token = newGatewayToken();
          // Passed on to the gateway by the supervisor; OpenClaw then starts itself again with it at the folder it uses.
          const extra: Record<string, string> = mode === "all" ? { NODE_COMPILE_CACHE: COMPILE_CACHE_ROOT } : {};
          const openclaw = await OpenclawContainer.start({ arch: hostArch(), env: openclawEnv(emulators, token, extra), instanceType: INSTANCE_TYPE });
          try {
            await openclaw.waitReady();
            const before = await openclaw.cpuSeconds();
            const started = performance.now();
            const turn = await chatCompletion(token, "compile cache: say pong", `moltlab-cc-${run}-${mode}`);
            turns[mode].push(performance.now() - started);
            cpu[mode].push((await openclaw.cpuSeconds()) - before);
            expect(turn.reply, turn.body.slice(0, 300)).toBe("pong");
          } finally {
            await openclaw.dispose();
          }
        }
      }
    } finally {
      await emulators.stop();
    }
    const notes = [
      `Each sample a fresh container of moltlab/openclaw ${OPENCLAW_VERSION} (${hostArch()}) through the supervisor at ${INSTANCE_TYPE}, booted to ready, then one chat completion; the AI Gateway emulator answers at once.`,
      `Main thread only: as the supervisor starts the gateway (OpenClaw turns the cache on for its main thread). All threads: NODE_COMPILE_CACHE=${COMPILE_CACHE_ROOT} in the container's environment; the image's cache was made by a boot without it, so modules only worker threads load are compiled in both.`,
    ];
    recordFigure({
      id: "compile-cache.first-turn",
      title: "The first chat turn after a boot, with the image's compile cache for OpenClaw's main thread only and for all its threads",
      unit: "ms",
      rows: [row("main thread only (as the supervisor starts the gateway)", turns.main), row("all threads (NODE_COMPILE_CACHE set)", turns.all)],
      notes,
    });
    recordFigure({
      id: "compile-cache.first-turn-cpu",
      title: "The container's CPU time during that first turn",
      unit: "s",
      rows: [row("main thread only", cpu.main), row("all threads", cpu.all)],
      notes: [...notes, "From the container's cgroup (Docker's stats API): what the turn costs the instance, whatever the wall clock."],
    });
  },
  60 * 60_000,
);

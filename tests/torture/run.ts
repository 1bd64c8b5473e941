/**
 * `npm run torture`: hundreds of hostile cycles against the real supervisor and the R2
 * stand-in (see cycle.ts, kinds.ts, ledger.ts), each drawn from one seed. Prints a line per
 * cycle, writes reports/torture.{json,md} after each one, and exits 1 when a restore was
 * corrupt, a write committed before SIGTERM was lost, or an owed write went missing.
 * Ctrl-C finishes the cycle under way, writes the report and removes what it started.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { parseCommandArgs } from "../../core/args.ts";
import { removeLabelled } from "../../core/docker.ts";
import { UserError } from "../../core/errors.ts";
import { hostArch, ROOT } from "../../core/host.ts";
import { machineFacts } from "../../core/machine.ts";
import { hashSeed, seededRandom } from "../../core/seeded-random.ts";
import { bundleSupervisor } from "../../container/build/supervisor-bundle.ts";
import { backupDefaults } from "../../container/supervisor/env.ts";
import { startR2 } from "../../emulators/r2/index.ts";
import { baseImageTag } from "../../setup/base-images.ts";
import { EVIDENCE_FILES, evidencePath } from "../../verify/evidence-files.ts";
import { freePort } from "../../core/wrangler-dev.ts";
import { type CycleResult, runCycle } from "./cycle.ts";
import { CYCLE_KINDS, type CycleKind } from "./kinds.ts";
import { Ledger } from "./ledger.ts";
import { summarise, writeReport } from "./report.ts";

/** About 20 minutes on a 2-core machine at ~6 s a cycle. */
export const DEFAULT_CYCLES = 200;
const R2_ATTEMPTS = 4;
export const TORTURE_USAGE = "usage: moltlab torture [--cycles N] [--seed S] [--kinds kind,kind,…]";

const positiveInteger = (name: string) => (raw: string) => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new UserError(`--${name} ${raw} is not a whole number ≥ 1`, TORTURE_USAGE);
  return value;
};

const OPTIONS = {
  cycles: { type: "string", parse: positiveInteger("cycles") },
  seed: {
    type: "string",
    parse: (raw: string) => {
      if (!raw.trim()) throw new UserError("--seed needs a value (any text or number)", TORTURE_USAGE);
      return raw.trim();
    },
  },
  kinds: {
    type: "string",
    parse: (raw: string) => {
      const kinds = raw.split(",").map((kind) => kind.trim()) as CycleKind[];
      const unknown = kinds.filter((kind) => !(CYCLE_KINDS as readonly string[]).includes(kind));
      if (unknown.length || !kinds.length) throw new UserError(`--kinds: unknown kind ${unknown.join(", ")}`, `one or more of ${CYCLE_KINDS.join(", ")}`);
      return kinds;
    },
  },
} as const;

export async function torture(args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS, { usage: TORTURE_USAGE });
  const cycles = values.cycles ?? DEFAULT_CYCLES;
  const seed = values.seed ?? String(Date.now());
  const kinds = values.kinds ?? [...CYCLE_KINDS];
  const random = seededRandom(hashSeed(seed));
  const runId = `moltlab-torture-${process.pid}`;
  const reportPath = evidencePath(EVIDENCE_FILES.torture);
  const replay = `npm run torture -- --seed ${seed} --cycles ${cycles}${values.kinds ? ` --kinds ${kinds.join(",")}` : ""}`;
  const startedAt = Date.now();
  console.log(`torture: ${cycles} cycles, seed ${seed}, kinds ${kinds.join(", ")}`);
  console.log(`torture: report ${reportPath} (replay: ${replay})`);

  // A run that crashed leaves labelled containers; those of runs still alive stay.
  await removeLabelled("test", { images: false, spareLiveRuns: true });
  const work = mkdtempSync(join(tmpdir(), "moltlab-torture-"));
  const toolsDir = join(work, "tools");
  const journalDir = join(work, "journal");
  mkdirSync(toolsDir, { recursive: true });
  mkdirSync(journalDir, { recursive: true });
  await bundleSupervisor(join(toolsDir, "supervisor.mjs"));
  copyFileSync(join(ROOT, "container/supervisor/testing/fake-openclaw.ts"), join(toolsDir, "fake-openclaw.ts"));
  for (const file of ["workload.ts", "inspect-state.ts", "clock-shift.mjs"]) copyFileSync(join(import.meta.dirname, file), join(toolsDir, file));
  writeFileSync(join(toolsDir, "openclaw"), '#!/bin/sh\nexec node /torture/fake-openclaw.ts "$@"\n', { mode: 0o755 });

  const r2 = await startR2();
  const gatewayPort = await freePort("127.0.0.1");
  const envFile = join(work, "sandbox.env");
  writeFileSync(
    envFile,
    `${Object.entries({
      HOME: "/root",
      OPENCLAW_GATEWAY_TOKEN: randomBytes(16).toString("hex"),
      OPENCLAW_BIN: "/torture/openclaw",
      OPENCLAW_BIND: "loopback",
      MOLTLAB_GATEWAY_PORT: String(gatewayPort),
      MOLTLAB_CONTROL_HOST: "127.0.0.1",
      MOLTLAB_CONTROL_PORT: String(await freePort("127.0.0.1")),
      MOLTLAB_TOOLS_FILE: "/root/tools.json",
      MOLTLAB_R2_ATTEMPTS: String(R2_ATTEMPTS),
      R2_ENDPOINT: r2.endpoint,
      R2_BUCKET_NAME: r2.bucket,
      R2_ACCESS_KEY_ID: r2.accessKeyId,
      R2_SECRET_ACCESS_KEY: r2.secretAccessKey,
      MOLTLAB_R2_PREFIX: `torture-${hashSeed(seed).toString(16)}/`,
      FAKE_OPENCLAW_WORKLOAD: "/torture/workload.ts",
      TORTURE_JOURNAL_DIR: "/journal",
      TORTURE_CLOCK_FILE: "/journal/clock-offset",
      NODE_OPTIONS: "--import=/torture/clock-shift.mjs",
    })
      .map(([key, value]) => `${key}=${value}`)
      .join("\n")}\n`,
    { mode: 0o600 },
  );

  const ledger = new Ledger();
  const results: CycleResult[] = [];
  const machine = await machineFacts();
  const defaults = backupDefaults();
  const report = () =>
    summarise(results, {
      generatedAt: new Date().toISOString(),
      seed,
      cyclesPlanned: cycles,
      seconds: (Date.now() - startedAt) / 1000,
      replay,
      settings: {
        backupQuietMs: defaults.backupQuietMs,
        backupMaxWaitMs: defaults.backupMaxWaitMs,
        backupIntervalMs: defaults.backupIntervalMs,
        r2Attempts: R2_ATTEMPTS,
      },
      machine,
    });
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) {
      // Leaving at once: still take the cycle's container with us.
      const ids = spawnSync("docker", ["ps", "-aq", "--filter", `name=^${runId}-`], { encoding: "utf8" })
        .stdout.split("\n")
        .filter(Boolean);
      if (ids.length) spawnSync("docker", ["rm", "-f", ...ids], { stdio: "ignore" });
      process.exit(130);
    }
    interrupted = true;
    console.log("\ntorture: interrupted; finishing this cycle, then writing the report (Ctrl-C again to leave at once)");
  };
  process.on("SIGINT", onInterrupt);
  try {
    for (let cycle = 1; cycle <= cycles && !interrupted; cycle++) {
      const cycleRandom = random.fork(`cycle-${cycle}`);
      const kind = cycleRandom.pick(kinds);
      const result = await runCycle(
        { spec: { image: baseImageTag("node", hostArch()), toolsDir, journalDir, envFile, gatewayPort, memoryMiB: 512 }, r2, ledger, namePrefix: runId },
        cycle,
        kind,
        cycleRandom,
      );
      results.push(result);
      console.log(progressLine(result, cycles, ledger.owedCount));
      writeReport(report(), reportPath);
    }
  } finally {
    process.off("SIGINT", onInterrupt);
    await r2.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const final = report();
  writeReport(final, reportPath);
  console.log(
    `\ntorture: ${final.ok ? "OK" : "NG"} — ${final.cyclesRun} cycles in ${Math.round(final.seconds)} s; corrupt restores ${final.corruptRestores} of ${final.restoresChecked}; lost after SIGTERM ${final.lostAfterSigterm}; owed missing ${final.owedMissing}`,
  );
  for (const failure of final.failures.slice(0, 10)) console.log(`  cycle ${failure.cycle} (${failure.kind}): ${failure.problems.join("; ")}`);
  console.log(`torture: report ${reportPath.replace(/\.json$/, ".md")}`);
  return final.ok ? 0 : 1;
}

function progressLine(result: CycleResult, cycles: number, owed: number): string {
  const check = result.restore.check;
  const restore =
    result.restore.outcome === "checked" && check
      ? `${check.corrupt.length || check.owedMissing.length ? "BAD" : "ok "} restore (${check.lost.length} lost)`
      : `${result.restore.outcome} restore`;
  const width = String(cycles).length;
  return `[${String(result.cycle).padStart(width)}/${cycles}] ${result.kind.padEnd(22)} ${restore.padEnd(22)} wrote ${String(result.writes).padStart(4)}, owed ${String(result.owed).padStart(4)} (total ${owed}), ${result.ending.signal}${result.ending.trigger ? ` (${result.ending.trigger})` : ""}${result.ending.exit?.oomKilled ? " OOMKilled" : ""}, final backup ${result.finalBackup ?? "–"}, ${result.seconds.toFixed(1)} s${result.problems.length ? `  PROBLEM: ${result.problems.join("; ")}` : ""}`;
}

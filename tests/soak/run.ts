/**
 * `moltlab soak [--duration 1h] [--interval …] [--sleep-after 1m] [--sleep-every …]`: the plan's
 * stability item, measurable. Starts the local sandbox as `npm run dev` does (its own temp state,
 * a free port, a short sleepAfter), keeps it under a steady bounded load through the Worker
 * (load.ts) and writes reports/soak.{json,md} as it goes. Ctrl-C (or SIGTERM) stops the load,
 * writes the report for what ran and stops everything; a second Ctrl-C exits at once.
 */
import os from "node:os";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { StepRunner } from "../../core/ui.ts";
import { setup } from "../../setup/index.ts";
import { startSandbox, type StartedSandbox } from "../../stack/sandbox.ts";
import { EVIDENCE_FILES, type SoakFile } from "../../verify/evidence-files.ts";
import { formatDuration, stabilityProblems } from "../../verify/soak-trend.ts";
import { writeReport } from "../integration/openclaw-reports.ts";
import { parseSoakArgs } from "./args.ts";
import { soakMarkdown } from "./report.ts";
import { SoakRun } from "./load.ts";

async function writeSoakReport(report: SoakFile): Promise<string[]> {
  return writeReport(EVIDENCE_FILES.soak, report, soakMarkdown(report));
}

export async function soak(args: readonly string[]): Promise<number> {
  const options = parseSoakArgs(args);
  const abort = new AbortController();
  let signals = 0;
  let received: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      // The platform removes the container on its next start; wrangler's group dies with us.
      console.error("moltlab soak: stopping at once; `npm run dev` or the next soak removes what is left");
      process.exit(128 + os.constants.signals[signal]);
    }
    received = signal;
    console.log(`\nmoltlab soak: ${signal}, stopping the load and writing the report (press Ctrl-C again to stop at once)`);
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  if (process.env.MOLTLAB_AUTO_SETUP !== "0") await setup(new StepRunner());
  if (received) return 128 + os.constants.signals[received];
  console.log(
    `\nmoltlab soak: ${formatDuration(options.durationMs)}, a chat turn every ${formatDuration(options.intervalMs)}, ` +
      `sleepAfter ${options.sleepAfter} with a sleep → wake cycle every ${formatDuration(options.sleepEveryMs)}, a sample every ${formatDuration(options.sampleEveryMs)}`,
  );
  const stateDir = await mkdtemp(join(tmpdir(), "moltlab-soak-state-"));
  let sandbox: StartedSandbox | undefined;
  let run: SoakRun | undefined;
  let interrupted: string | null = null;
  try {
    sandbox = await startSandbox({
      arch: "amd64",
      // Host networking: the supervisor's /health is sampled on the loopback, off the Worker's path.
      network: "host",
      port: 0,
      persistTo: stateDir,
      sleepAfter: options.sleepAfter,
      steps: new StepRunner(),
      signal: abort.signal,
    });
    run = new SoakRun({
      sandbox,
      args: options,
      signal: abort.signal,
      log: (line) => console.log(line),
      onProgress: async (report) => void (await writeSoakReport(report)),
    });
    interrupted = await run.run();
  } catch (error) {
    if (!abort.signal.aborted) throw error;
    interrupted = "interrupted (Ctrl-C) while starting";
  } finally {
    if (run) {
      const report = run.report(interrupted);
      const paths = await writeSoakReport(report);
      const problems = stabilityProblems(report);
      console.log(`\nmoltlab soak: ${problems.length ? `unstable — ${problems.join("; ")}` : "stable"}`);
      console.log(`report: ${paths.map((path) => relative(process.cwd(), path)).join(", ")}`);
    }
    console.log("moltlab soak: stopping the sandbox");
    await sandbox?.stop(new StepRunner());
    await rm(stateDir, { recursive: true, force: true });
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    console.log("moltlab soak: stopped; nothing left running");
  }
  if (received) return 128 + os.constants.signals[received];
  return interrupted ? 1 : 0;
}

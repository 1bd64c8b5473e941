import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import integrationSetup from "../integration/global-setup.ts";
import { readFigures, writeBenchReport } from "./bench-report.ts";

/**
 * The perf run's setup: the integration checks and label sweep, plus a folder where each
 * perf file drops the figures it measured. At the end they become reports/bench.{json,md}
 * and the charts; a run that measured nothing leaves the previous report alone.
 */
export default async function globalSetup(project: TestProject): Promise<() => Promise<void>> {
  const integrationTeardown = await integrationSetup();
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), "moltlab-bench-"));
  project.provide("benchFigures", dir);
  return async () => {
    try {
      const figures = readFigures(dir);
      const seconds = (performance.now() - started) / 1000;
      if (figures.length) {
        const written = await writeBenchReport(figures, seconds);
        console.log(`\nbench: ${figures.length} figures in ${Math.round(seconds)} s → ${written.join(", ")}`);
      } else {
        console.log("\nbench: no figure was recorded; reports/bench.json left as it was");
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await integrationTeardown();
    }
  };
}

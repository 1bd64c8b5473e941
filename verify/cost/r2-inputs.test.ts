import { describe, expect, it } from "vitest";
import { loadSettings } from "../../container/supervisor/env.ts";
import type { BenchFigure, BenchReport, BenchRow } from "../bench-results.ts";
import { PRICED_SHAPE, r2InputFromBench, RESTORES_PER_MONTH_ALWAYS_ON, SUPERVISOR_DEFAULTS } from "./r2-inputs.ts";

const none = { classA: 0, classB: 0, free: 0, bytesUp: 0, bytesDown: 0 };
const row = (label: string, r2?: BenchRow["r2"]): BenchRow => ({ label, samples: [1], median: 1, min: 1, max: 1, ...(r2 ? { r2 } : {}) });
const figure = (id: string, rows: BenchRow[]): BenchFigure => ({ id, title: id, unit: "s", rows });
const report = (figures: BenchFigure[]): BenchReport => ({
  generatedAt: "2026-12-05T19:00:00.000Z",
  machine: { arch: "amd64", cpus: 2, memoryGiB: 23.5, docker: "27" } as BenchReport["machine"],
  figures,
});

/** The three figures of a bench run at 1 and 10 MB of many small files, as backup.perf.ts records them. */
function measuredRun(withCounts = true): BenchFigure[] {
  const counts = (r2: BenchRow["r2"]) => (withCounts ? r2 : undefined);
  return [
    figure(`backup.${PRICED_SHAPE}`, [
      row("1 MB, 64 files", counts({ ...none, classA: 66, bytesUp: 1_060_000 })),
      row("10 MB, 640 files", counts({ ...none, classA: 642, bytesUp: 10_600_000 })),
    ]),
    figure(`backup.one-change.${PRICED_SHAPE}`, [
      row("1 MB, 64 files", counts({ ...none, classA: 3, bytesUp: 26_000 })),
      row("10 MB, 640 files", counts({ ...none, classA: 3, bytesUp: 114_000 })),
    ]),
    figure(`restore.${PRICED_SHAPE}`, [
      row("1 MB, 64 files", counts({ ...none, classA: 1, classB: 65, bytesDown: 1_060_000 })),
      row("10 MB, 640 files", counts({ ...none, classA: 1, classB: 641, bytesDown: 10_600_000 })),
    ]),
    figure("backup.few-large", [row("10 MB, 4 files", counts({ ...none, classA: 6, bytesUp: 99_000_000 }))]),
  ];
}

describe("R2 inputs from the bench", () => {
  it("takes the largest many-small workspace measured in all three figures, with the supervisor's cadence", () => {
    expect(r2InputFromBench(report(measuredRun()))).toEqual({
      ok: true,
      row: "10 MB, 640 files",
      fullBackup: { ...none, classA: 642, bytesUp: 10_600_000 },
      input: {
        perBackup: { ...none, classA: 3, bytesUp: 114_000 },
        perRestore: { ...none, classA: 1, classB: 641, bytesDown: 10_600_000 },
        stateBytes: 10_600_000,
        backupIntervalS: 5,
        keptSnapshots: 20,
        restoresPerMonthAlwaysOn: RESTORES_PER_MONTH_ALWAYS_ON,
      },
    });
  });

  it("skips a size that one of the figures lacks", () => {
    const figures = measuredRun();
    figures[2]!.rows.pop(); // the 10 MB restore
    expect(r2InputFromBench(report(figures))).toMatchObject({ ok: true, row: "1 MB, 64 files", input: { stateBytes: 1_060_000 } });
  });

  it("says why there is nothing to price: no report, a figure missing, rows without counts", () => {
    expect(r2InputFromBench(undefined)).toEqual({ ok: false, why: "no bench report" });
    expect(r2InputFromBench(report(measuredRun().filter((f) => !f.id.startsWith("backup.one-change."))))).toEqual({
      ok: false,
      why: "reports/bench.json has no backup.one-change.many-small figure (an older or partial bench run)",
    });
    expect(r2InputFromBench(report(measuredRun(false)))).toMatchObject({ ok: false, why: expect.stringContaining("carry no R2 counts") });
  });

  it("uses the supervisor's own defaults for the backup interval and the snapshots kept", () => {
    const loaded = loadSettings({ HOME: "/home/someone", OPENCLAW_GATEWAY_TOKEN: "not-a-secret" });
    if (!loaded.ok) throw new Error(loaded.problems.join("; "));
    expect(loaded.settings.backupIntervalMs).toBe(SUPERVISOR_DEFAULTS.backupIntervalS * 1000);
    expect(loaded.settings.backupKeep).toBe(SUPERVISOR_DEFAULTS.backupKeep);
  });
});

import { describe, expect, it } from "vitest";
import { loadSettings } from "../../container/supervisor/env.ts";
import { BACKUP_CADENCE_FIGURE, type BenchFigure, type BenchReport, type BenchRow } from "../bench-results.ts";
import { backupCadence, CHANGING_SHARE_OF_USE, PRICED_SHAPE, r2InputFromBench, RESTORES_PER_MONTH_ALWAYS_ON } from "./r2-inputs.ts";

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
  it("takes the largest many-small workspace measured in all three figures, with the measured cadence", () => {
    const cadence = figure(BACKUP_CADENCE_FIGURE, [
      { ...row("probe file only"), median: 1.6 },
      { ...row("probe + 50 MB (3,200 files)"), median: 1.3 },
    ]);
    expect(r2InputFromBench(report([...measuredRun(), cadence]))).toEqual({
      ok: true,
      row: "10 MB, 640 files",
      fullBackup: { ...none, classA: 642, bytesUp: 10_600_000 },
      input: {
        perBackup: { ...none, classA: 3, bytesUp: 114_000 },
        perRestore: { ...none, classA: 1, classB: 641, bytesDown: 10_600_000 },
        stateBytes: 10_600_000,
        // The fastest row: the most backups a month.
        backupEveryS: 1.3,
        backupCadence: 'one every 1.30 s, measured by the bench with a file written every 250 ms (backup.cadence, "probe + 50 MB (3,200 files)")',
        keptSnapshots: 20,
        changingShare: CHANGING_SHARE_OF_USE,
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

  it("without a measured cadence, takes the backup loop's bound at the supervisor's own defaults, and says so", () => {
    const loaded = loadSettings({ HOME: "/home/someone", OPENCLAW_GATEWAY_TOKEN: "not-a-secret" });
    if (!loaded.ok) throw new Error(loaded.problems.join("; "));
    const { backupMaxWaitMs, backupIntervalMs, backupKeep } = loaded.settings;
    const bound = backupCadence(report(measuredRun()));
    expect(bound.backupEveryS).toBe(Math.max(backupMaxWaitMs, backupIntervalMs) / 1000);
    expect(bound.backupCadence).toContain("bound at its defaults");
    expect(bound.backupCadence).toContain("not measured");
    expect(r2InputFromBench(report(measuredRun()))).toMatchObject({ ok: true, input: { keptSnapshots: backupKeep } });
  });
});

import { describe, expect, it } from "vitest";
import type { Evidence } from "../evidence.ts";
import type { KindSummary, TortureReport } from "../torture-results.ts";
import { judgeTorture, TORTURE_TARGET_CYCLES } from "./persistence.ts";

const source = { path: "reports/torture.json", generatedAt: "2026-12-06T03:00:00.000Z", origin: "reused" as const };

function kind(overrides: Partial<KindSummary>): KindSummary {
  return {
    kind: "sigkill",
    ending: "killed",
    what: "",
    cycles: 10,
    checked: 10,
    writes: 1000,
    lostWrites: 0,
    maxLostAgeMs: null,
    lostAgeP50Ms: null,
    owedMissing: 0,
    corrupt: 0,
    r2Disturbed: 0,
    backupsFailed: 0,
    refusedBoots: 0,
    oomKilled: 0,
    finalBackupsDone: 0,
    ...overrides,
  };
}

function report(overrides: Partial<TortureReport>): Evidence<TortureReport> {
  const data: TortureReport = {
    generatedAt: source.generatedAt,
    seed: "s",
    cyclesPlanned: TORTURE_TARGET_CYCLES,
    cyclesRun: TORTURE_TARGET_CYCLES,
    seconds: 1200,
    restoresChecked: 180,
    corruptRestores: 0,
    lostAfterSigterm: 0,
    owedMissing: 0,
    failures: [],
    kinds: [kind({ lostWrites: 12, maxLostAgeMs: 740 }), kind({ kind: "sigterm", ending: "sigterm" })],
    replay: "npm run torture -- --seed s --cycles 200",
    settings: { backupQuietMs: 500, backupMaxWaitMs: 1000, backupIntervalMs: 500, r2Attempts: 4 },
    machine: { arch: "amd64", cpus: 2, memoryGiB: 24, docker: "20.10", node: "24" },
    ok: true,
    ...overrides,
  };
  return { source, data };
}

describe("0-6 reads the torture run", () => {
  it("asks for a run when there is none, without a verdict of its own", () => {
    const judged = judgeTorture({ source, problem: "reports/torture.json is missing" });
    expect(judged.verdict).toBeUndefined();
    expect(judged.wouldChange.join()).toMatch(/npm run torture -- --cycles 200/);
  });

  it("adds the run's numbers and the oldest write a kill lost, and a table per kind", () => {
    const judged = judgeTorture(report({}));
    expect(judged.verdict).toBeUndefined();
    expect(judged.evidence[0]).toMatch(/200 of 200 cycles.*0 corrupt restores of 180.*0 writes lost after SIGTERM/);
    expect(judged.evidence[1]).toMatch(/at most 740 ms old.*sigkill: 12/);
    expect(judged.table?.rows).toHaveLength(2);
    expect(judged.wouldChange).toEqual([]);
    expect(judged.why).toBe("torture run: 200 cycles, 0 corrupt restores, 0 writes lost after SIGTERM");
  });

  it("is NG with the figure and the replay command when a restore was corrupt or a SIGTERM lost writes", () => {
    const judged = judgeTorture(report({ ok: false, corruptRestores: 1, failures: [{ cycle: 17, kind: "r2-5xx", problems: ["corrupt restore: x"] }] }));
    expect(judged.verdict).toBe("NG");
    expect(judged.why).toMatch(/1 corrupt restores/);
    expect(judged.evidence.join("\n")).toMatch(/Cycle 17 \(r2-5xx\): corrupt restore: x/);
    expect(judged.wouldChange.join()).toMatch(/--seed s --cycles 200/);
  });

  it("says a run shorter than the target is short", () => {
    expect(judgeTorture(report({ cyclesRun: 30 })).wouldChange.join()).toMatch(/at least 200 cycles.*ran 30/);
  });
});

import { describe, expect, it } from "vitest";
import type { CycleResult } from "./cycle.ts";
import type { CycleKind } from "./kinds.ts";
import type { RestoreCheck } from "./ledger.ts";
import { renderMarkdown, summarise } from "./report.ts";

const clean: RestoreCheck = { corrupt: [], owedMissing: [], lost: [], beyondBound: 0, tornTail: false };

function cycle(n: number, kind: CycleKind, check: RestoreCheck | undefined, writes = 100): CycleResult {
  return {
    cycle: n,
    kind,
    restore: check ? { outcome: "checked", boots: 1, check } : { outcome: "not-checked", boots: 1 },
    writes,
    owed: writes,
    ending: { signal: "SIGKILL", afterMs: 2000 },
    backups: 3,
    r2Disturbed: 0,
    backupsFailed: 0,
    problems: [],
    seconds: 5,
  };
}

const base = {
  generatedAt: "2026-12-06T03:00:00.000Z",
  seed: "s",
  cyclesPlanned: 4,
  seconds: 20,
  replay: "npm run torture -- --seed s --cycles 4",
  settings: { backupQuietMs: 500, backupMaxWaitMs: 1000, backupIntervalMs: 500, r2Attempts: 4 },
  machine: { arch: "amd64", cpus: 2, memoryGiB: 24, docker: "20.10", node: "24" },
};

describe("torture report", () => {
  it("charges a restore's losses to the kind that ended the cycle before it, across a cycle killed during its restore", () => {
    const report = summarise(
      [
        cycle(1, "sigterm", clean),
        cycle(2, "sigkill", clean),
        cycle(3, "sigkill-during-restore", undefined, 0),
        cycle(4, "sigterm", {
          ...clean,
          lost: [
            { seq: 2_000_099, ageMs: 300 },
            { seq: 2_000_100, ageMs: 120 },
          ],
        }),
      ],
      base,
    );
    const sigkill = report.kinds.find((kind) => kind.kind === "sigkill")!;
    expect(sigkill).toMatchObject({ lostWrites: 2, maxLostAgeMs: 300, checked: 1 });
    expect(report.lostAfterSigterm).toBe(0);
    expect(report.ok).toBe(true);
    expect(renderMarkdown(report)).toMatch(/\*\*OK\*\*/);
  });

  it("fails on a write lost after SIGTERM and on a corrupt restore, naming the cycle", () => {
    const report = summarise(
      [
        cycle(1, "sigterm", clean),
        cycle(2, "r2-5xx", { ...clean, lost: [{ seq: 1_000_050, ageMs: 900 }] }),
        cycle(3, "sigkill", { ...clean, corrupt: ["x: torn"] }),
      ],
      base,
    );
    expect(report).toMatchObject({ ok: false, lostAfterSigterm: 1, corruptRestores: 1 });
    expect(report.failures.map((failure) => failure.cycle)).toEqual([2, 3]);
    expect(report.failures[0]!.problems.join()).toMatch(/cycle 1 \(sigterm, ended by SIGTERM\) lost/);
    expect(renderMarkdown(report)).toMatch(/\*\*NG\*\*[\s\S]*cycle 3 \(sigkill\): corrupt restore: x: torn/);
  });
});

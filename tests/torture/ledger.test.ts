import { describe, expect, it } from "vitest";
import { Ledger, parseJournal, type JournalEntry, type RestoredState } from "./ledger.ts";

const whole = (seq: number, sha: string) => ({ seq, whole: true, sha });

function state(overrides: Partial<RestoredState> = {}): RestoredState {
  return {
    database: { integrity: "ok", seqs: [] },
    transcript: { seqs: [], badLines: 0, tornTail: false },
    files: {},
    ...overrides,
  };
}

const journal: JournalEntry[] = [
  { op: "start", t: 0, seq: 0 },
  { op: "sql", seq: 1, t: 100 },
  { op: "append", seq: 2, t: 200, path: "agents/main/sessions/torture.jsonl" },
  { op: "rewrite", seq: 3, t: 300, path: "workspace/notes/note-3.md", sha: "a3" },
  { op: "create", seq: 4, t: 400, path: "workspace/memory/4.md", sha: "a4" },
  { op: "sql", seq: 5, t: 900 },
];

describe("torture ledger", () => {
  it("owes the writes committed before the bound, and finds an owed one missing", () => {
    const ledger = new Ledger();
    expect(ledger.addCycle(journal, 1000, 500)).toEqual({ writes: 5, owed: 4 });
    const complete = state({
      database: { integrity: "ok", seqs: [1] },
      transcript: { seqs: [2], badLines: 0, tornTail: false },
      files: { "workspace/notes/note-3.md": whole(3, "a3"), "workspace/memory/4.md": whole(4, "a4") },
    });
    const ok = ledger.check(complete);
    expect(ok.owedMissing).toEqual([]);
    expect(ok.corrupt).toEqual([]);
    // Row 5 came after the bound: lost, but not owed; its age is counted from the end of the cycle.
    expect(ok.lost).toEqual([{ seq: 5, ageMs: 100 }]);

    const missing = ledger.check({ ...complete, database: { integrity: "ok", seqs: [] } });
    expect(missing.owedMissing).toEqual(["sql row 1"]);
  });

  it("accepts a newer version of a note than the owed one, but not an older", () => {
    const ledger = new Ledger();
    ledger.addCycle(
      [
        { op: "rewrite", seq: 10, t: 1, path: "workspace/notes/n.md", sha: "s10" },
        { op: "rewrite", seq: 11, t: 2, path: "workspace/notes/n.md", sha: "s11" },
      ],
      10,
      1.5,
    );
    expect(ledger.check(state({ files: { "workspace/notes/n.md": whole(11, "s11") } })).owedMissing).toEqual([]);
    expect(ledger.check(state({ files: { "workspace/notes/n.md": whole(9, "s9") } })).owedMissing).toEqual(["workspace/notes/n.md seq 10 (restored seq 9)"]);
  });

  it("calls a restore corrupt for a damaged database, a torn file or bytes that differ from what was written", () => {
    const ledger = new Ledger();
    ledger.addCycle([{ op: "create", seq: 4, t: 1, path: "workspace/memory/4.md", sha: "a4" }], 10, 10);
    const check = ledger.check(
      state({
        database: { integrity: "*** in database main ***\nPage 2: btree page is corrupt", seqs: [] },
        transcript: { seqs: [], badLines: 2, tornTail: false },
        files: { "workspace/memory/4.md": whole(4, "other"), "workspace/memory/7.md": { seq: 7, whole: false, sha: "x" } },
      }),
    );
    expect(check.corrupt).toHaveLength(4);
    expect(check.corrupt.join("\n")).toMatch(/integrity_check/);
    expect(check.corrupt.join("\n")).toMatch(/7\.md: .*torn/);
    expect(check.corrupt.join("\n")).toMatch(/4\.md: seq 4 restored with other bytes/);
  });

  it("does not blame the backup for a file the workload itself left half written on a full disk", () => {
    const ledger = new Ledger();
    ledger.addCycle([{ op: "write-failed", t: 1, path: "workspace/memory/7.md", code: "ENOSPC" }], 10, 10);
    expect(ledger.check(state({ files: { "workspace/memory/7.md": { seq: 7, whole: false, sha: "x" } } })).corrupt).toEqual([]);
  });

  it("does not blame the backup for a transcript line a full disk cut short, and still counts the line after it", () => {
    const ledger = new Ledger();
    ledger.addCycle(
      [
        { op: "write-failed", t: 1, path: "agents/main/sessions/torture.jsonl", code: "ENOSPC" },
        { op: "append", seq: 34, t: 2, path: "agents/main/sessions/torture.jsonl" },
      ],
      10,
      10,
    );
    const check = ledger.check(state({ transcript: { seqs: [34], badLines: 1, tornTail: false } }));
    expect(check.corrupt).toEqual([]);
    expect(check.owedMissing).toEqual([]);
  });

  it("skips the journal line a kill cut in half", () => {
    expect(parseJournal('{"op":"sql","seq":1,"t":1}\n{"op":"sql","se')).toEqual([{ op: "sql", seq: 1, t: 1 }]);
  });
});

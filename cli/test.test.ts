import { describe, expect, it } from "vitest";
import { changedFlag, countsFromReport, describeChanged, formatSummary, projectRow, type Row, splitArgs } from "./test.ts";

const report = (passed: number, failed: number, files: number) => ({
  numPassedTests: passed,
  numFailedTests: failed,
  numPendingTests: 0,
  numTodoTests: 0,
  testResults: Array.from({ length: files }, (_, index) => ({ name: `/repo/${index}.test.ts` })),
});

describe("moltlab test arguments and counts", () => {
  it("takes --project (both spellings) for itself and passes the rest to vitest", () => {
    expect(splitArgs(["--project", "node", "-t", "binfmt", "--project=worker"])).toEqual({ projects: ["node", "worker"], rest: ["-t", "binfmt"] });
    expect(splitArgs([])).toEqual({ projects: [], rest: [] });
  });

  it("takes --changed with no ref, with --changed=REF, and with the next word as REF, as vitest does", () => {
    expect(splitArgs(["--changed"])).toEqual({ projects: [], rest: [], changed: {} });
    expect(splitArgs(["--changed", "--project", "node"])).toEqual({ projects: ["node"], rest: [], changed: {} });
    expect(splitArgs(["--changed=origin/main", "cli/"])).toEqual({ projects: [], rest: ["cli/"], changed: { ref: "origin/main" } });
    expect(splitArgs(["--changed", "HEAD~2", "-t", "binfmt", "cli/"])).toEqual({ projects: [], rest: ["-t", "binfmt", "cli/"], changed: { ref: "HEAD~2" } });
    // A filter before --changed stays a filter.
    expect(splitArgs(["cli/", "--changed"])).toEqual({ projects: [], rest: ["cli/"], changed: {} });
  });

  it("hands vitest its own flag for the scope", () => {
    expect(changedFlag({ files: [] })).toBe("--changed");
    expect(changedFlag({ ref: "origin/main", files: [] })).toBe("--changed=origin/main");
  });

  it("counts todo and skipped tests as skipped, never as passed", () => {
    expect(countsFromReport({ numPassedTests: 5, numFailedTests: 1, numPendingTests: 2, numTodoTests: 1 })).toEqual({ passed: 5, failed: 1, skipped: 3 });
  });
});

describe("a project's row", () => {
  it("under --changed, a run with no affected file is 'no affected tests', neither passed nor failed", () => {
    const row = projectRow("integration", 2, 0, report(0, 0, 0), true);
    expect(row).toMatchObject({ status: "none", result: "no affected tests", files: 0, counts: { passed: 0, failed: 0, skipped: 0 } });
  });

  it("under --changed, says how many affected files ran", () => {
    expect(projectRow("node", 9, 0, report(40, 0, 3), true)).toMatchObject({
      status: "ok",
      result: "3 affected files: 40 passed, 0 failed, 0 skipped",
      files: 3,
    });
    expect(projectRow("node", 9, 1, report(39, 1, 1), true)).toMatchObject({ status: "FAIL", result: "1 affected file: 39 passed, 1 failed, 0 skipped" });
  });

  it("without --changed, a project where nothing passed fails (a broken include pattern must not pass)", () => {
    expect(projectRow("node", 1, 0, report(0, 0, 0), false).status).toBe("FAIL");
    expect(projectRow("node", 1, 0, report(7, 0, 2), false)).toMatchObject({ status: "ok", result: "7 passed, 0 failed, 0 skipped" });
    expect(projectRow("node", 1, 1, undefined, false)).toMatchObject({ status: "FAIL", result: "vitest exited 1 without a report" });
  });
});

describe("the summary", () => {
  const rows: Row[] = [
    { name: "typecheck", seconds: 12, result: "no errors", status: "ok" },
    {
      name: "worker",
      seconds: 30,
      result: "15 affected files: 172 passed, 0 failed, 0 skipped",
      status: "ok",
      counts: { passed: 172, failed: 0, skipped: 0 },
      files: 15,
    },
    {
      name: "node",
      seconds: 20,
      result: "24 affected files: 300 passed, 0 failed, 1 skipped",
      status: "ok",
      counts: { passed: 300, failed: 0, skipped: 1 },
      files: 24,
    },
    { name: "integration", seconds: 2.2, result: "no affected tests (setup not needed)", status: "none", files: 0 },
  ];

  it("under --changed, says only affected tests ran, from how many changed files, and counts only what ran", () => {
    const { lines, ok } = formatSummary(rows, { files: ["emulators/ai-gateway/rate-limits.ts"] });
    expect(ok).toBe(true);
    expect(lines[0]).toBe("moltlab test summary (--changed: only the tests affected by 1 changed file since HEAD; static checks cover the whole project)");
    expect(lines).toContain(`  none  integration  ${"no affected tests (setup not needed)".padEnd(40)} 2.2s`);
    expect(lines.at(-1)).toBe("moltlab: 472 passed, 0 failed, 1 skipped (--changed: 39 affected test files ran, the rest did not)");
  });

  it("says so when nothing changed", () => {
    const none: Row[] = [{ name: "node", seconds: 0, result: "no affected tests (nothing changed)", status: "none", files: 0 }];
    const { lines, ok } = formatSummary(none, { ref: "origin/main", files: [] });
    expect(ok).toBe(true);
    expect(lines[0]).toBe("moltlab test summary (--changed: nothing changed since origin/main, no tests ran; static checks cover the whole project)");
    expect(lines.at(-1)).toBe("moltlab: 0 passed, 0 failed, 0 skipped (--changed: nothing changed since origin/main, no tests ran)");
    expect(describeChanged({ files: [] })).toBe("--changed: nothing changed since HEAD (no staged, modified, deleted or untracked file), so no test will run");
  });

  it("lists the first changed files and how many more", () => {
    const files = Array.from({ length: 10 }, (_, index) => `f${index}.ts`);
    expect(describeChanged({ ref: "main", files })).toBe(
      "--changed: 10 files changed since main: f0.ts, f1.ts, f2.ts, f3.ts, f4.ts, f5.ts, f6.ts, f7.ts, and 2 more",
    );
  });

  it("keeps the closing line CI reads, counts a failed step without tests as a failure, and prints detail lines under their row", () => {
    const { lines, ok } = formatSummary([
      { name: "typecheck", seconds: 3, result: "type errors (see above)", status: "FAIL" },
      { name: "setup", seconds: 1, result: "machine ready", status: "ok", details: ["base images: 4 images current (…), 0.3s"] },
    ]);
    expect(ok).toBe(false);
    expect(lines[0]).toBe("moltlab test summary");
    expect(lines).toContain("          base images: 4 images current (…), 0.3s");
    expect(lines.at(-1)).toBe("moltlab: 0 passed, 1 failed, 0 skipped");
  });
});

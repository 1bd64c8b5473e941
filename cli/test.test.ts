import { describe, expect, it } from "vitest";
import { countsFromReport, splitArgs } from "./test.ts";

describe("moltlab test arguments and counts", () => {
  it("takes --project (both spellings) for itself and passes the rest to vitest", () => {
    expect(splitArgs(["--project", "node", "-t", "binfmt", "--project=worker"])).toEqual({ projects: ["node", "worker"], rest: ["-t", "binfmt"] });
    expect(splitArgs([])).toEqual({ projects: [], rest: [] });
  });

  it("counts todo and skipped tests as skipped, never as passed", () => {
    expect(countsFromReport({ numPassedTests: 5, numFailedTests: 1, numPendingTests: 2, numTodoTests: 1 })).toEqual({ passed: 5, failed: 1, skipped: 3 });
  });
});

import { describe, expect, it } from "vitest";
import { failureLines, firstLine, SHOWN_FAILURES } from "./test-failures.ts";

describe("the failed tests under a project's row", () => {
  it("names each failed test with its file and the first line of its error", () => {
    const lines = failureLines(
      [
        {
          name: "/repo/tests/integration/jobs.test.ts",
          status: "failed",
          assertionResults: [
            { fullName: "jobs › a webhook runs", status: "passed", failureMessages: [] },
            {
              fullName: "jobs › a cron job fires",
              status: "failed",
              failureMessages: ["\u001b[31m\nAssertionError: expected 503 to be 200\u001b[39m\n    at jobs.test.ts:40:5"],
            },
          ],
        },
        { name: "/repo/tests/integration/ok.test.ts", status: "passed", assertionResults: [{ fullName: "fine", status: "passed" }] },
      ],
      "/repo",
    );
    expect(lines).toEqual(["✗ tests/integration/jobs.test.ts › jobs › a cron job fires: AssertionError: expected 503 to be 200"]);
  });

  it("gives a file that failed outside its tests (a hook, an import) a line of its own", () => {
    expect(failureLines([{ name: "/repo/a.test.ts", status: "failed", message: "Hook timed out in 600000ms.", assertionResults: [] }], "/repo")).toEqual([
      "✗ a.test.ts: Hook timed out in 600000ms.",
    ]);
    expect(failureLines([{ name: "/repo/b.test.ts", status: "failed" }], "/repo")).toEqual(["✗ b.test.ts: failed outside its tests"]);
  });

  it("names the first few and counts the rest", () => {
    const files = Array.from({ length: SHOWN_FAILURES + 3 }, (_, index) => ({ name: `/repo/${index}.test.ts`, status: "failed" }));
    const lines = failureLines(files, "/repo");
    expect(lines).toHaveLength(SHOWN_FAILURES + 1);
    expect(lines.at(-1)).toBe("… and 3 more failures (see the run's output above)");
  });

  it("cuts a long first line and drops colours", () => {
    expect(firstLine("\u001b[2m  \u001b[22m\n  x".padEnd(400, "y"))).toHaveLength(160);
    expect(firstLine("")).toBe("");
  });
});

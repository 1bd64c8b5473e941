import { describe, expect, it } from "vitest";
import { describeStopped, stopOpenClaw, type StoppableContainers } from "./platform.ts";
import { STOP_TIMEOUT_MS } from "../contract/lifecycle.ts";

describe("OpenClaw's graceful stop", () => {
  it("SIGTERMs every running or starting container with the stop bound, and nothing else", async () => {
    const asked: unknown[] = [];
    const containers: StoppableContainers = {
      states: () => [
        { name: "a", status: "running" },
        { name: "b", status: "starting" },
        { name: "c", status: "exited" },
        { name: "d", status: "stopped" },
        { name: "e", status: "stopping" },
      ],
      stop: async (name, options) => {
        asked.push([name, options]);
        return name === "a" ? { state: { name }, killed: false, exitCode: 0 } : { state: { name }, killed: true };
      },
    };
    expect(await stopOpenClaw(containers)).toEqual([
      { name: "a", killed: false, exitCode: 0 },
      { name: "b", killed: true, exitCode: undefined },
    ]);
    expect(asked).toEqual([
      ["a", { signal: "SIGTERM", timeoutMs: STOP_TIMEOUT_MS }],
      ["b", { signal: "SIGTERM", timeoutMs: STOP_TIMEOUT_MS }],
    ]);
  });
});

describe("the stop step's report", () => {
  it("says what each container did, and was not running when none was", () => {
    expect(describeStopped([])).toBe("was not running");
    expect(describeStopped([{ name: "a", killed: false, exitCode: 0 }])).toBe("a: exited 0");
    expect(describeStopped([{ name: "a", killed: false }])).toBe("a: exited (code unknown)");
  });

  it("fails when a final backup did not complete: a non-zero exit, or killed after the grace period", () => {
    const lost = /final backup did not complete, so the changes since its last good backup are not in R2/;
    expect(() => describeStopped([{ name: "a", killed: false, exitCode: 1 }])).toThrow(lost);
    expect(() =>
      describeStopped([
        { name: "a", killed: false, exitCode: 0 },
        { name: "b", killed: true },
      ]),
    ).toThrow(new RegExp(`a: exited 0, b: killed after the ${STOP_TIMEOUT_MS / 1000} s grace period: its final backup`));
  });
});

import { describe, expect, it } from "vitest";
import { stopOpenClaw, type StoppableContainers } from "./platform.ts";
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

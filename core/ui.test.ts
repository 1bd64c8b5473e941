import { describe, expect, it } from "vitest";
import { UserError } from "./errors.ts";
import { formatSeconds, StepFailed, StepRunner } from "./ui.ts";

function recorder() {
  const lines: string[] = [];
  return { lines, runner: new StepRunner((line) => lines.push(line)) };
}

describe("step runner", () => {
  it("prints each step with its outcome and duration", async () => {
    const { lines, runner } = recorder();
    await runner.step("docker engine", async () => ({ status: "ok", detail: "Docker 20.10" }));
    await runner.step("base images", async (context) => {
      context.progress("building moltlab/debian");
      return { status: "done", detail: "4 images made" };
    });
    expect(lines[0]).toMatch(/^ {2}\[ok\] {3}docker engine — Docker 20\.10 \(\d+\.\ds\)$/);
    expect(lines[1]).toBe("         base images: building moltlab/debian");
    expect(lines[2]).toMatch(/^ {2}\[done\] base images — 4 images made/);
    expect(runner.changedNothing).toBe(false);
  });

  it("reports a run that changed nothing", async () => {
    const { runner } = recorder();
    await runner.step("a", async () => ({ status: "ok", detail: "fine" }));
    await runner.step("b", async () => ({ status: "skip", detail: "not here" }));
    expect(runner.changedNothing).toBe(true);
  });

  it("prints a failing step's error and fix, then throws StepFailed", async () => {
    const { lines, runner } = recorder();
    const failing = runner.step("docker engine", async () => {
      throw new UserError("no Docker engine is reachable", "install Docker Engine");
    });
    await expect(failing).rejects.toBeInstanceOf(StepFailed);
    expect(lines[0]).toMatch(/^ {2}\[FAIL\] docker engine/);
    expect(lines[1]).toBe("         no Docker engine is reachable");
    expect(lines[2]).toBe("           fix: install Docker Engine");
  });

  it("formats durations for people", () => {
    expect(formatSeconds(Math.PI)).toBe("3.1s");
    expect(formatSeconds(125)).toBe("2m5s");
    // Rounding carries into the minutes (a run of 479.6 s once read "7m60s").
    expect([479.6, 59.96, 59.94, 3599.5].map(formatSeconds)).toEqual(["8m0s", "1m0s", "59.9s", "60m0s"]);
  });
});

import { describe, expect, it } from "vitest";
import { Cleanup } from "./cleanup.ts";
import { StepFailed, StepRunner } from "../core/ui.ts";

describe("the cleanup stack", () => {
  it("runs its steps last-added first, each as a step line with what it did", async () => {
    const lines: string[] = [];
    const ran: string[] = [];
    const cleanup = new Cleanup();
    cleanup.add("stop the Access emulator", async () => {
      ran.push("access");
      return "http://127.0.0.1:1";
    });
    cleanup.add("stop wrangler dev", async () => void ran.push("wrangler"));
    await cleanup.run(new StepRunner((line) => lines.push(line)));
    expect(ran).toEqual(["wrangler", "access"]);
    expect(lines[0]).toMatch(/^ {2}\[done\] stop wrangler dev — {2}\(/);
    expect(lines[1]).toMatch(/^ {2}\[done\] stop the Access emulator — http:\/\/127\.0\.0\.1:1 \(/);
    // Each step runs once.
    await cleanup.run(new StepRunner((line) => lines.push(line)));
    expect(ran).toHaveLength(2);
  });

  it("runs every step when one fails, prints the failed step's name, then throws the first failure", async () => {
    const lines: string[] = [];
    const ran: string[] = [];
    const cleanup = new Cleanup();
    cleanup.add("remove temp files", async () => void ran.push("temp"));
    cleanup.add("remove the containers", async () => {
      throw new Error("engine gone");
    });
    cleanup.add("stop OpenClaw (final backup)", async () => {
      throw new Error("no answer");
    });
    const failure = await cleanup.run(new StepRunner((line) => lines.push(line))).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StepFailed);
    expect((failure as StepFailed).step).toBe("stop OpenClaw (final backup)");
    expect(ran).toEqual(["temp"]);
    expect(lines.filter((line) => line.includes("[FAIL]"))).toEqual([
      expect.stringContaining("[FAIL] stop OpenClaw (final backup)"),
      expect.stringContaining("[FAIL] remove the containers"),
    ]);
  });

  it("with a plain writer, prints nothing but failures, each with its step's name", async () => {
    const lines: string[] = [];
    const cleanup = new Cleanup();
    cleanup.add("stop the R2 stand-in", async () => "fine");
    cleanup.add("stop wrangler dev", async () => {
      throw new Error("still running");
    });
    await expect(cleanup.run((line) => lines.push(line))).rejects.toMatchObject({ name: "StepFailed", step: "stop wrangler dev" });
    expect(lines).toEqual([expect.stringMatching(/^stop wrangler dev failed: Error: still running/)]);
  });
});

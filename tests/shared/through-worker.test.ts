import { describe, expect, it } from "vitest";
import { waitForSandboxRunning } from "./through-worker.ts";

describe("waiting for the sandbox through the Worker's /api/status", () => {
  it("returns the status once it says running", async () => {
    const answers = ["starting", "starting", "running"].map((status) => ({ status, container: { status, lastError: null } }));
    expect(await waitForSandboxRunning(async () => answers.shift()!, 5_000, 1)).toMatchObject({ status: "running" });
  });

  it("says, when the time runs out, what the last status was, and quotes a container error", async () => {
    const starting = { status: "starting", container: { status: "starting", lastError: null } };
    await expect(waitForSandboxRunning(async () => starting, 20, 5)).rejects.toThrow(
      /timed out after 20 ms waiting for the sandbox running \(\/api\/status\); the last \/api\/status said \{"status":"starting","container":\{"status":"starting","lastError":null\}\}/,
    );
    const failed = { status: "stopped", container: { status: "stopped", lastError: "gateway exited with code 1" } };
    await expect(waitForSandboxRunning(async () => failed, 20, 5)).rejects.toThrow(
      /last error: Error: gateway exited with code 1\).*"lastError":"gateway exited with code 1"/,
    );
  });
});

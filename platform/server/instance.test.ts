import { describe, expect, it } from "vitest";
import { signalOf, statusOf } from "./instance.ts";

describe("state derivation", () => {
  it("shows clients five statuses", () => {
    expect([undefined, "creating", "created", "starting", "running", "stopping", "exited"].map((phase) => statusOf(phase as never))).toEqual([
      "stopped",
      "starting",
      "starting",
      "starting",
      "running",
      "stopping",
      "exited",
    ]);
  });

  it("infers the signal from exit codes 129–192 only", () => {
    expect([0, 1, 42, 128, 130, 137, 143, 255].map(signalOf)).toEqual([undefined, undefined, undefined, undefined, "SIGINT", "SIGKILL", "SIGTERM", undefined]);
  });
});

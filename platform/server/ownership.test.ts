/** The decision is core/leftovers.ts's; these are the reasons the platform reports with it (`platform.leftovers`). */
import { describe, expect, it } from "vitest";
import { leftoverDecision } from "../../core/leftovers.ts";

describe("leftovers of an earlier platform", () => {
  const self = { host: "box", pid: 100, isAlive: (pid: number) => pid === 200 };

  it("are removed when their platform is gone or unknown", () => {
    expect(leftoverDecision("box:300", self)).toEqual({ action: "remove", reason: "its platform (process 300) is gone" });
    expect(leftoverDecision(undefined, self)).toEqual({ action: "remove", reason: "no owner label" });
    expect(leftoverDecision("garbage", self)).toEqual({ action: "remove", reason: 'unreadable owner label "garbage"' });
  });

  it("are kept when a live platform owns them, here or on a host this one cannot see", () => {
    expect(leftoverDecision("box:200", self)).toEqual({ action: "keep", reason: "owned by the running process 200" });
    expect(leftoverDecision("box:100", self).action).toBe("keep");
    expect(leftoverDecision("other:300", self)).toEqual({ action: "keep", reason: "owned by a platform on host other, whose processes this one cannot see" });
  });
});

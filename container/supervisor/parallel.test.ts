/** eventLoopTurns: a long loop of synchronous calls still lets timers and sockets run. */
import { describe, expect, it } from "vitest";
import { eventLoopTurns } from "./parallel.ts";

describe("eventLoopTurns", () => {
  it("lets the event loop run once per slice of a synchronous loop, and costs nothing in between", async () => {
    const turn = eventLoopTurns(5);
    let timers = 0;
    const timer = setInterval(() => timers++, 1);
    let steps = 0;
    let turns = 0;
    const end = performance.now() + 50;
    try {
      while (performance.now() < end) {
        steps++;
        const turning = turn();
        if (turning) {
          turns++;
          await turning;
        }
      }
    } finally {
      clearInterval(timer);
    }
    // About one turn per 5 ms of the 50 (loose bounds: a busy machine stretches slices).
    expect(turns).toBeGreaterThanOrEqual(3);
    expect(turns).toBeLessThan(steps / 10);
    expect(timers).toBeGreaterThan(0);
  });
});

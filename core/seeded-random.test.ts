import { describe, expect, it } from "vitest";
import { hashSeed, seededRandom } from "./seeded-random.ts";

describe("seededRandom", () => {
  it("replays the same sequence from the same seed, and another from another seed", () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed).next);
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it("stays in range and covers it", () => {
    const random = seededRandom(1);
    const values = Array.from({ length: 2000 }, () => random.between(2, 4));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...values)).toBeLessThan(4);
    expect(Math.min(...values)).toBeLessThan(2.1);
    expect(Math.max(...values)).toBeGreaterThan(3.9);
  });

  it("forks by label: independent of how much the parent drew", () => {
    const a = seededRandom(3);
    const b = seededRandom(3);
    b.next();
    expect(a.fork("cycle-1").next()).toBe(b.fork("cycle-1").next());
    expect(a.fork("cycle-1").next()).not.toBe(a.fork("cycle-2").next());
  });

  it("hashes text seeds and refuses to pick from nothing", () => {
    expect(hashSeed("nightly")).toBe(hashSeed("nightly"));
    expect(hashSeed("nightly")).not.toBe(hashSeed("weekly"));
    expect(() => seededRandom(1).pick([])).toThrow(/empty/);
  });
});

import { describe, expect, it } from "vitest";
import { costWithoutAllowances, monthlyCost, runningHoursPerDay } from "./model.ts";
import { MOLTWORKER_ESTIMATE, PRICES } from "./prices.ts";

const line = (breakdown: ReturnType<typeof monthlyCost>, name: string) => breakdown.lines.find((l) => l.name.startsWith(name))!.usd;

describe("Containers cost model", () => {
  it("reproduces moltworker's 24/7 standard-1 estimate line by line, to within its rounding", () => {
    const cost = monthlyCost({ instanceType: "standard-1", activeHoursPerDay: 24, sleepAfterMinutes: null, cpuUtilisation: 0.1 }, PRICES);
    // 4 GiB × 2,628,000 s = 10,512,000 GiB-s, minus 90,000 included, × $0.0000025
    expect(line(cost, "Container memory")).toBeCloseTo(26.055, 3);
    // 0.5 vCPU × 10% × 2,628,000 s = 131,400 vCPU-s, minus 22,500, × $0.00002
    expect(line(cost, "Container CPU")).toBeCloseTo(2.178, 3);
    // 8 GB × 2,628,000 s = 21,024,000 GB-s, minus 720,000, × $0.00000007
    expect(line(cost, "Container disk")).toBeCloseTo(1.42128, 4);
    // 0.128 GB × 2,628,000 s = 336,384 GB-s, inside the 400,000 included
    expect(line(cost, "Durable Object")).toBe(0);
    expect(cost.totalUsd).toBeCloseTo(34.654, 2);
    expect(Math.abs(cost.totalUsd - MOLTWORKER_ESTIMATE.totalUsd)).toBeLessThan(0.5);
    expect(costWithoutAllowances(cost.input, PRICES)).toBeCloseTo(35.38, 2);
  });

  it("bills the hours in use plus the sleepAfter tail, or 24 h when the container never sleeps", () => {
    expect(runningHoursPerDay(8, 10)).toBeCloseTo(8 + 1 / 6, 6);
    expect(runningHoursPerDay(8, null)).toBe(24);
    expect(runningHoursPerDay(23.9, 60)).toBe(24);
    const partTime = monthlyCost({ instanceType: "standard-1", activeHoursPerDay: 8, sleepAfterMinutes: 10, cpuUtilisation: 0.1 }, PRICES);
    expect(partTime.runningSecondsPerMonth).toBeCloseTo(894_250, 0);
    expect(partTime.totalUsd).toBeCloseTo(14.61, 2);
    const neverSleeps = monthlyCost({ instanceType: "standard-1", activeHoursPerDay: 8, sleepAfterMinutes: null, cpuUtilisation: 0.1 }, PRICES);
    expect(neverSleeps.totalUsd).toBeCloseTo(34.654, 2);
  });

  it("charges nothing beyond the plan while usage stays inside the included allowances", () => {
    const lite = monthlyCost({ instanceType: "lite", activeHoursPerDay: 1, sleepAfterMinutes: 5, cpuUtilisation: 0.1 }, PRICES);
    expect(lite.totalUsd).toBe(5);
    expect(lite.lines.every((l) => l.name === "Workers Paid plan" || l.usd === 0)).toBe(true);
  });

  it("scales with the instance type: standard-4 around the clock is far above a $50 budget", () => {
    const big = monthlyCost({ instanceType: "standard-4", activeHoursPerDay: 24, sleepAfterMinutes: null, cpuUtilisation: 0.1 }, PRICES);
    // 12 GiB memory alone: 12 × 2,628,000 × 0.0000025 ≈ $78.84 before the 25 GiB-h allowance
    expect(line(big, "Container memory")).toBeCloseTo(78.615, 2);
    expect(big.totalUsd).toBeGreaterThan(50);
  });
});

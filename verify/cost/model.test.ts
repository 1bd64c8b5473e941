import { describe, expect, it } from "vitest";
import { costWithoutAllowances, monthlyCost, type R2Input, runningHoursPerDay } from "./model.ts";
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

describe("R2 in the cost model", () => {
  const none = { classA: 0, classB: 0, free: 0, bytesUp: 0, bytesDown: 0 };
  /** What the bench measured at 10 MB in 640 files of 16 KiB. */
  const measured: R2Input = {
    perBackup: { ...none, classA: 3, bytesUp: 114_176 },
    perRestore: { ...none, classA: 1, classB: 641, bytesDown: 10_600_000 },
    stateBytes: 10_600_000,
    backupEveryS: 5,
    backupCadence: "one every 5 s",
    changingShare: 1,
    keptSnapshots: 20,
    restoresPerMonthAlwaysOn: 1,
  };
  const base = { instanceType: "standard-1", cpuUtilisation: 0.1 } as const;
  const r2Line = (breakdown: ReturnType<typeof monthlyCost>, name: string) => breakdown.lines.find((l) => l.name === name)!;

  it("has no R2 lines without R2 inputs, and three with them, in the total", () => {
    const without = monthlyCost({ ...base, activeHoursPerDay: 24, sleepAfterMinutes: null }, PRICES);
    expect(without.lines.some((l) => l.name.startsWith("R2"))).toBe(false);
    expect(without.r2).toBeUndefined();
    const withR2 = monthlyCost({ ...base, activeHoursPerDay: 24, sleepAfterMinutes: null, r2: measured }, PRICES);
    expect(withR2.lines.filter((l) => l.name.startsWith("R2")).map((l) => l.name)).toEqual(["R2 storage", "R2 Class A requests", "R2 Class B requests"]);
    expect(withR2.totalUsd).toBeCloseTo(without.totalUsd + 4.5, 6);
    // moltworker's estimate has no R2: the check against it stays the container's.
    expect(costWithoutAllowances(withR2.input, PRICES)).toBeCloseTo(costWithoutAllowances(without.input, PRICES), 6);
  });

  it("24/7 with a backup every 5 s: 525,600 backups × 3 Class A + 1 restore, over the free million, billed as one more million", () => {
    const cost = monthlyCost({ ...base, activeHoursPerDay: 24, sleepAfterMinutes: null, r2: measured }, PRICES);
    // 730 h × 3600 s / 5 s = 525,600 backups; one restore (a restart a month)
    expect(cost.r2).toMatchObject({ restores: 1 });
    expect(cost.r2!.backups).toBeCloseTo(525_600, 6);
    expect(r2Line(cost, "R2 Class A requests").usage).toBeCloseTo(525_600 * 3 + 1, 3);
    // 576,801 over the free 1,000,000: a started million, $4.50
    expect(r2Line(cost, "R2 Class A requests").usd).toBe(4.5);
    // 641 reads per restore, far inside the free 10 million
    expect(r2Line(cost, "R2 Class B requests")).toMatchObject({ usage: 641, usd: 0 });
    // 10.6 MB + 20 × 114,176 B = 12.88 MB: inside the free 10 GB-month
    expect(r2Line(cost, "R2 storage").usage).toBeCloseTo(0.012_883_52, 9);
    expect(r2Line(cost, "R2 storage").usd).toBe(0);
  });

  it("backs up only while the state changes: a quarter of the hours in use is a quarter of the backups", () => {
    const always = monthlyCost({ ...base, activeHoursPerDay: 24, sleepAfterMinutes: null, r2: measured }, PRICES);
    const quarter = monthlyCost({ ...base, activeHoursPerDay: 24, sleepAfterMinutes: null, r2: { ...measured, changingShare: 0.25 } }, PRICES);
    expect(quarter.r2!.backups).toBeCloseTo(always.r2!.backups / 4, 6);
    expect(quarter.r2!.restores).toBe(always.r2!.restores);
    // 131,400 × 3 + 1 Class A: inside the free million
    expect(r2Line(quarter, "R2 Class A requests")).toMatchObject({ usd: 0 });
    expect(r2Line(quarter, "R2 Class A requests").formula).toContain("assumed 25 % of the 24 h/day in use");
  });

  it("8 h a day with a sleepAfter: a third of the backups and a restore per wake-up, all inside the free tier", () => {
    const cost = monthlyCost({ ...base, activeHoursPerDay: 8, sleepAfterMinutes: 10, r2: measured }, PRICES);
    expect(cost.r2!.backups).toBeCloseTo(175_200, 6);
    expect(cost.r2!.restores).toBeCloseTo(730 / 24, 9);
    expect(r2Line(cost, "R2 Class A requests").usage).toBeCloseTo(175_200 * 3 + 730 / 24, 3);
    expect(r2Line(cost, "R2 Class B requests").usage).toBeCloseTo((730 / 24) * 641, 3);
    expect(cost.lines.filter((l) => l.name.startsWith("R2")).every((l) => l.usd === 0)).toBe(true);
    expect(cost.totalUsd).toBeCloseTo(14.61, 2);
  });

  it("bills what exceeds the free tier in started units: a million requests, a GB-month (R2 rounds usage up)", () => {
    // A backup every 2.628 s through 730 h is 1,000,000 backups; restores and storage as set per case.
    const at = (perBackupA: number, restores: number, stateGB: number) =>
      monthlyCost(
        {
          ...base,
          activeHoursPerDay: 24,
          sleepAfterMinutes: null,
          r2: {
            ...measured,
            perBackup: { ...none, classA: perBackupA, classB: perBackupA },
            perRestore: { ...none, classA: 1, classB: 1 },
            stateBytes: stateGB * 1e9,
            keptSnapshots: 0,
            backupEveryS: 2.628,
            restoresPerMonthAlwaysOn: restores,
          },
        },
        PRICES,
      );
    // exactly the free million Class A: nothing to pay
    expect(r2Line(at(1, 0, 1), "R2 Class A requests").usd).toBe(0);
    // one request over: a whole million billed
    expect(r2Line(at(1, 1, 1), "R2 Class A requests").usd).toBe(4.5);
    // two million: one billed (exact multiples do not start another)
    expect(r2Line(at(2, 0, 1), "R2 Class A requests").usd).toBe(4.5);
    // "one million and one operations billed as two million" above the free tier
    expect(r2Line(at(2, 1, 1), "R2 Class A requests").usd).toBe(9);
    // Class B: 10 million free, then $0.36 per started million
    expect(r2Line(at(10, 0, 1), "R2 Class B requests").usd).toBe(0);
    expect(r2Line(at(10, 1, 1), "R2 Class B requests").usd).toBe(0.36);
    // storage: 10 GB-month free; 11.1 is 1.1 over, billed as 2 GB-month
    expect(r2Line(at(1, 0, 10), "R2 storage").usd).toBe(0);
    expect(r2Line(at(1, 0, 11.1), "R2 storage").usd).toBeCloseTo(0.03, 9);
  });

  it("says in each R2 line which inputs are measured and which assumed", () => {
    const cost = monthlyCost({ ...base, activeHoursPerDay: 8, sleepAfterMinutes: 10, r2: measured }, PRICES);
    expect(r2Line(cost, "R2 Class A requests").formula).toMatch(
      /175,200 backups \(one every 5 s, while the state changes: assumed 100 % of the 8 h\/day in use\) × 3 .* restores \(one per wake-up.*\) × 1, per backup and restore as measured; 1,000,000 free, then \$4\.50 per started million/,
    );
    expect(r2Line(cost, "R2 storage").formula).toMatch(
      /^10\.1 MiB of state \(a full backup's upload, measured\) \+ 20 kept snapshots × 111\.5 KiB \(one change's upload, measured\)/,
    );
  });
});

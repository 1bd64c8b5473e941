import { describe, expect, it } from "vitest";
import { UserError } from "../../core/errors.ts";
import type { SoakFile } from "../../verify/evidence-files.ts";
import { parseSoakArgs } from "./args.ts";
import { soakMarkdown, textChart } from "./report.ts";

const MINUTE = 60_000;

describe("moltlab soak options", () => {
  it("defaults to an hour, a turn every 3 min, sleepAfter 1m and a sleep cycle every 20 min", () => {
    expect(parseSoakArgs([])).toEqual({
      durationMs: 60 * MINUTE,
      intervalMs: 3 * MINUTE,
      sleepAfter: "1m",
      sleepAfterMs: MINUTE,
      sleepEveryMs: 20 * MINUTE,
      sampleEveryMs: MINUTE,
    });
  });

  it("scales the pace with the duration: 10 min still has several turns and a sleep cycle; 24 h stays light", () => {
    expect(parseSoakArgs(["--duration", "10m"])).toMatchObject({ intervalMs: MINUTE, sleepEveryMs: 4 * MINUTE, sampleEveryMs: 20_000 });
    expect(parseSoakArgs(["--duration", "24h"])).toMatchObject({ intervalMs: 3 * MINUTE, sleepEveryMs: 60 * MINUTE });
    expect(parseSoakArgs(["--duration=2h", "--interval", "45s", "--sleep-after", "90s"])).toMatchObject({
      durationMs: 120 * MINUTE,
      intervalMs: 45_000,
      sleepAfter: "90s",
      sleepAfterMs: 90_000,
      sampleEveryMs: 15_000,
    });
  });

  it("refuses a duration without a unit, an unknown option, and an interval as long as the run, naming the fix", () => {
    expect(() => parseSoakArgs(["--duration", "10"])).toThrow(/--duration 10 is not a duration/);
    expect(() => parseSoakArgs(["--duration", "10"])).toThrow(UserError);
    expect(() => parseSoakArgs(["--hours", "3"])).toThrow(UserError);
    expect(() => parseSoakArgs(["--duration", "1m", "--interval", "2m"])).toThrow(/--interval is not shorter than --duration/);
  });
});

describe("the soak report", () => {
  it("plots a series between its min and max, the time axis spanning the run", () => {
    const chart = textChart(
      "gateway RSS",
      "MiB",
      [0, 1, 2, 3].map((i) => ({ t: i * MINUTE, v: 500 + i * 10 })),
      4 * MINUTE,
    ).split("\n");
    expect(chart[0]).toBe("gateway RSS (MiB; min 500, max 530, n=4)");
    expect(chart[1]).toMatch(/^ {5}530 ┤ {45}•/);
    expect(chart[8]).toMatch(/^ {5}500 ┤•/);
    expect(chart.at(-1)).toMatch(/^ {10}0 +4 min$/);
    expect(textChart("x", "s", [], 1)).toBe("x: no samples");
  });

  it("says what broke stability first, then the figures and the charts", () => {
    const soak: SoakFile = {
      generatedAt: "2026-12-06T02:00:00.000Z",
      source: "npm run soak",
      requestedMs: 10 * MINUTE,
      ranMs: 10 * MINUTE,
      interrupted: null,
      intervalMs: MINUTE,
      sleepAfter: "1m",
      instanceType: "standard-1",
      samples: [0, 1, 2].map((i) => ({
        t: i * MINUTE,
        status: "running",
        starts: 1,
        crashes: 0,
        gatewayRssMiB: 1000,
        supervisorRssMiB: 130,
        stateBytes: 50 * 1024 * 1024,
        lastBackup: null,
      })),
      turns: [{ t: MINUTE, transport: "http", cold: false, ok: false, ms: 1000, toolRan: false, error: "HTTP 502: no" }],
      wakes: [],
      starts: 1,
      crashes: 0,
      errors: ["turn 1 (http/http): HTTP 502: no"],
    };
    const markdown = soakMarkdown(soak);
    expect(markdown).toContain("**Unstable: 1 of 1 turns failed (first: HTTP 502: no).**");
    expect(markdown).toContain("gateway RSS (MiB; min 1000, max 1000, n=3)");
    expect(markdown).toContain("No sleep cycle ran");
    expect(markdown).toContain("| 60 s | http | failed: HTTP 502: no | 1.0 | no |");
  });
});

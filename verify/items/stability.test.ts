import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SoakFile, SoakSample, SoakTurn } from "../evidence-files.ts";
import { rssTrend, soakTrends, stabilityProblems } from "../soak-trend.ts";
import { verifyContext } from "../testing/context.ts";
import { itemById, judgeItem } from "./registry.ts";

const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), "moltlab-stability-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sample(t: number, starts: number, gateway: number, supervisor = 100): SoakSample {
  return { t, status: "running", starts, crashes: 0, gatewayRssMiB: gateway, supervisorRssMiB: supervisor, stateBytes: 1e6, lastBackup: null };
}
const turn = (t: number, ms: number, ok = true): SoakTurn => ({ t, transport: "http", cold: false, ok, ms, toolRan: ok });

/** A clean run of `hours`, a sample every 10 min, a turn every 30 min, one wake after the first half. */
function run(hours: number, overrides: Partial<SoakFile> = {}): SoakFile {
  const samples: SoakSample[] = [];
  const turns: SoakTurn[] = [];
  for (let t = 0; t <= hours * HOUR; t += HOUR / 6) samples.push(sample(t, t < (hours * HOUR) / 2 ? 1 : 2, 500 + (t % (HOUR / 3) ? 5 : 0)));
  for (let t = 0; t <= hours * HOUR; t += HOUR / 2) turns.push(turn(t, 3000 + (t % HOUR ? 200 : 0)));
  return {
    generatedAt: new Date().toISOString(),
    source: "npm run soak",
    requestedMs: hours * HOUR,
    ranMs: hours * HOUR,
    interrupted: null,
    intervalMs: HOUR / 2,
    sleepAfter: "1m",
    instanceType: "standard-1",
    samples,
    turns,
    wakes: [{ t: (hours * HOUR) / 2, sleptAfterMs: 70_000, wakeMs: 60_000, restored: true, markersExpected: 5, markersFound: 5, restoreSource: "snapshot" }],
    starts: 2,
    crashes: 0,
    errors: [],
    ...overrides,
  };
}

async function judge(soak: SoakFile) {
  writeFileSync(join(dir, "soak.json"), JSON.stringify(soak));
  return judgeItem(itemById("stability"), verifyContext(dir));
}

describe("soak trends", () => {
  it("fits RSS per container start, so the drop at a wake is not a trend", () => {
    // Each start climbs 10 MiB/h; the second starts 300 MiB lower (a fresh gateway).
    const samples = [0, 1, 2, 3].map((h) => sample(h * HOUR, 1, 800 + 10 * h)).concat([4, 5, 6, 7].map((h) => sample(h * HOUR, 2, 500 + 10 * (h - 4))));
    expect(rssTrend(samples, "gatewayRssMiB")).toMatchObject({ slope: expect.closeTo(10, 6), starts: 2, points: 8, first: 800, last: 530, max: 830 });
  });

  it("leaves out samples of a container that was not running, and starts with fewer than three samples", () => {
    const samples = [sample(0, 1, 100), sample(HOUR, 1, 200), { ...sample(2 * HOUR, 1, 0), status: "stopped", gatewayRssMiB: null }];
    expect(rssTrend(samples, "gatewayRssMiB").slope).toBeNull();
  });

  it("gives the latency trend as a share of the median per hour, without the first turn of each container start", () => {
    const turns = [turn(0, 1000), turn(HOUR, 1100), turn(2 * HOUR, 1200), { ...turn(3 * HOUR, 90_000), cold: true }];
    expect(soakTrends({ samples: [], turns }).latency).toMatchObject({ slopePercentPerHour: expect.closeTo((100 / 1100) * 100, 6), p50: 1100, turns: 3 });
  });
});

describe("stability item", () => {
  it("is unverified without a soak report, naming the command", async () => {
    rmSync(join(dir, "soak.json"), { force: true });
    const item = await judgeItem(itemById("stability"), verifyContext(dir));
    expect(item).toMatchObject({ verdict: "unverified", summary: "no soak report: run npm run soak" });
    expect(item.wouldChange.join(" ")).toContain("npm run soak -- --duration 24h");
  });

  it("is OK after a clean 24 h and OK with constraints after a clean shorter run", async () => {
    expect(stabilityProblems(run(24))).toEqual([]);
    expect((await judge(run(24))).verdict).toBe("OK");
    const short = await judge(run(1));
    expect(short.verdict).toBe("OK with constraints");
    expect(short.summary).toContain("the plan asks for 24 h");
  });

  it("is NG with the figure that broke it: a crash, a failed turn, a lost wake, memory or latency growing", async () => {
    const clean = run(2);
    const growing = clean.samples.map((item) => ({ ...item, gatewayRssMiB: 500 + (item.t / HOUR) * 50 }));
    const slower = clean.turns.map((item) => ({ ...item, ms: 3000 * (1 + item.t / HOUR) }));
    const cases: [Partial<SoakFile>, string][] = [
      [{ crashes: 1, starts: 3 }, "1 container crash(es)"],
      [{ starts: 4 }, "2 container start(s) besides the first boot and the 1 wake(s)"],
      [{ turns: [...clean.turns, { ...turn(HOUR, 240_000, false), error: "HTTP 502: upstream" }] }, "1 of 6 turns failed (first: HTTP 502: upstream)"],
      [{ wakes: [{ ...clean.wakes[0]!, restored: false, markersFound: 3 }] }, "1 of 1 wakes did not restore the state (3/5 marker files)"],
      [{ samples: growing }, "gateway RSS grew 50.0 ± 0.0 MiB/h (limit 20 MiB/h)"],
      [{ turns: slower }, "turn latency grew"],
    ];
    for (const [overrides, figure] of cases) {
      const item = await judge({ ...clean, ...overrides });
      expect(item.verdict, figure).toBe("NG");
      expect(item.summary).toContain(figure);
    }
  });

  it("leaves a slope above its limit but within twice its standard error undecided: OK with constraints, saying a longer run decides", async () => {
    const clean = run(2);
    // Turn times scattering by half their median, as on a shared 2-core host: the fitted slope is
    // above 10 %/h, its standard error far larger.
    const scatter = [3000, 6000, 2500, 7000, 3500];
    const noisy = clean.turns.map((item, index) => ({ ...item, ms: scatter[index % scatter.length]! }));
    const trends = soakTrends({ samples: clean.samples, turns: noisy });
    expect(trends.latency.slopePercentPerHour).toBeGreaterThan(10);
    const item = await judge({ ...clean, turns: noisy });
    expect(item.verdict).toBe("OK with constraints");
    expect(item.summary).toMatch(/undecided: turn latency [\d.]+ ± [\d.]+ %\/h/);
    expect(item.wouldChange.join(" ")).toContain("a longer run: turn latency");
  });
});

/**
 * What a soak run (reports/soak.json) says about stability, computed one way for the
 * `npm run soak` report and for verify's stability item: the least-squares slope of memory
 * and of turn latency over the run, and the limits they are held to.
 *
 * Memory restarts with every container start (a wake after sleepAfter boots a fresh gateway), so
 * a slope across starts would measure the restarts, not a leak: RSS is fitted per container
 * start (samples of one `starts` value while running) and the per-start slopes are averaged,
 * weighted by the time each one spans. Latency has no such reset: it is fitted over the whole
 * run (the first turn of each container start — after the first boot or a wake — is a cold one and left out) and given as a share of the
 * median turn per hour.
 *
 * A slope counts as growth beyond its limit only when it is above the limit by more than twice its
 * standard error (about 95 % confidence): on a shared 2-core host a 10-minute run's turn times
 * scatter by half their median, and the slope of that scatter says nothing about drift. A slope
 * above its limit within that margin is reported as not yet decided: a longer run decides it.
 */
import { leastSquaresFit, median, percentile } from "../core/stats.ts";
import type { SoakFile, SoakSample } from "./evidence-files.ts";

/** Memory may grow at most this much per hour of running (24 h → under 0.5 GiB of standard-1's 4 GiB). */
export const RSS_SLOPE_LIMIT_MIB_PER_HOUR = 20;
/** The median turn may get at most this much slower per hour (relative to the run's median). */
export const LATENCY_SLOPE_LIMIT_PERCENT_PER_HOUR = 10;
/** The plan's stability item: a 24-hour run. */
export const PLAN_SOAK_HOURS = 24;

const HOUR_MS = 3_600_000;

export interface RssTrend {
  /** MiB per hour, null when no start had three samples. */
  slope: number | null;
  /** Its standard error (MiB per hour), null when unknown. */
  standardError: number | null;
  /** Container starts that had enough samples to fit. */
  starts: number;
  points: number;
  first: number | null;
  last: number | null;
  max: number | null;
}

export interface LatencyTrend {
  /** Percent of the median turn per hour, null with fewer than three turns. */
  slopePercentPerHour: number | null;
  /** Its standard error (percent per hour), null when unknown. */
  standardError: number | null;
  p50: number | null;
  p95: number | null;
  turns: number;
}

export interface SoakTrends {
  gatewayRss: RssTrend;
  supervisorRss: RssTrend;
  latency: LatencyTrend;
}

/** Per-start least-squares slopes of one RSS series, averaged weighted by each start's span. */
export function rssTrend(samples: readonly SoakSample[], key: "gatewayRssMiB" | "supervisorRssMiB"): RssTrend {
  const byStart = new Map<number, { x: number; y: number }[]>();
  const values: number[] = [];
  for (const sample of samples) {
    const value = sample[key];
    if (value === null || sample.status !== "running") continue;
    values.push(value);
    const points = byStart.get(sample.starts) ?? [];
    points.push({ x: sample.t / HOUR_MS, y: value });
    byStart.set(sample.starts, points);
  }
  let weighted = 0;
  let variance = 0;
  let span = 0;
  let starts = 0;
  for (const points of byStart.values()) {
    if (points.length < 3) continue;
    const fit = leastSquaresFit(points);
    const width = points.at(-1)!.x - points[0]!.x;
    if (fit === null || width <= 0) continue;
    weighted += fit.slope * width;
    variance += (width * (fit.standardError ?? 0)) ** 2;
    span += width;
    starts++;
  }
  return {
    slope: span > 0 ? weighted / span : null,
    standardError: span > 0 ? Math.sqrt(variance) / span : null,
    starts,
    points: values.length,
    first: values[0] ?? null,
    last: values.at(-1) ?? null,
    max: values.length ? Math.max(...values) : null,
  };
}

/** The slope of warm turn latency over the run, relative to its median. */
export function latencyTrend(soak: Pick<SoakFile, "turns">): LatencyTrend {
  const warm = soak.turns.filter((turn) => turn.ok && !turn.cold);
  const ms = warm.map((turn) => turn.ms);
  if (!ms.length) return { slopePercentPerHour: null, standardError: null, p50: null, p95: null, turns: 0 };
  const p50 = median(ms);
  const fit = warm.length >= 3 ? leastSquaresFit(warm.map((turn) => ({ x: turn.t / HOUR_MS, y: turn.ms }))) : null;
  const percent = (value: number | null) => (value === null || fit === null || p50 <= 0 ? null : (value / p50) * 100);
  return {
    slopePercentPerHour: percent(fit?.slope ?? null),
    standardError: percent(fit?.standardError ?? null),
    p50,
    p95: percentile(ms, 95),
    turns: warm.length,
  };
}

export function soakTrends(soak: Pick<SoakFile, "samples" | "turns">): SoakTrends {
  return { gatewayRss: rssTrend(soak.samples, "gatewayRssMiB"), supervisorRss: rssTrend(soak.samples, "supervisorRssMiB"), latency: latencyTrend(soak) };
}

/** How a slope stands against its limit: beyond it (by more than twice its standard error), above it within the noise, or within it. */
export function againstLimit(slope: number | null, standardError: number | null, limit: number): "beyond" | "undecided" | "within" {
  if (slope === null || slope <= limit) return "within";
  return standardError !== null && slope - 2 * standardError > limit ? "beyond" : "undecided";
}

/** "56.2 ± 9.8" (± twice the standard error), or "56.2" when it is unknown. */
export function formatSlope(slope: number | null, standardError: number | null, unit: string): string {
  if (slope === null) return "not enough samples";
  return `${slope.toFixed(1)}${standardError === null ? "" : ` ± ${(2 * standardError).toFixed(1)}`} ${unit}`;
}

/** Slopes above their limit but within twice their standard error: a longer run decides them. */
export function undecidedTrends(trends: SoakTrends): string[] {
  const found: string[] = [];
  for (const [name, trend] of [
    ["gateway RSS", trends.gatewayRss],
    ["supervisor RSS", trends.supervisorRss],
  ] as const) {
    if (againstLimit(trend.slope, trend.standardError, RSS_SLOPE_LIMIT_MIB_PER_HOUR) === "undecided")
      found.push(`${name} ${formatSlope(trend.slope, trend.standardError, "MiB/h")}`);
  }
  const latency = trends.latency;
  if (againstLimit(latency.slopePercentPerHour, latency.standardError, LATENCY_SLOPE_LIMIT_PERCENT_PER_HOUR) === "undecided")
    found.push(`turn latency ${formatSlope(latency.slopePercentPerHour, latency.standardError, "%/h")}`);
  return found;
}

/** What broke stability, one figure each; empty when nothing did. */
export function stabilityProblems(soak: SoakFile, trends: SoakTrends = soakTrends(soak)): string[] {
  const problems: string[] = [];
  if (soak.crashes > 0) problems.push(`${soak.crashes} container crash(es)`);
  const unexpected = soak.starts - 1 - soak.wakes.length;
  if (unexpected > 0) problems.push(`${unexpected} container start(s) besides the first boot and the ${soak.wakes.length} wake(s)`);
  const failed = soak.turns.filter((turn) => !turn.ok);
  if (failed.length) problems.push(`${failed.length} of ${soak.turns.length} turns failed (first: ${failed[0]!.error ?? "no detail"})`);
  const lost = soak.wakes.filter((wake) => !wake.restored);
  if (lost.length)
    problems.push(`${lost.length} of ${soak.wakes.length} wakes did not restore the state (${lost[0]!.markersFound}/${lost[0]!.markersExpected} marker files)`);
  for (const [name, trend] of [
    ["gateway", trends.gatewayRss],
    ["supervisor", trends.supervisorRss],
  ] as const) {
    if (againstLimit(trend.slope, trend.standardError, RSS_SLOPE_LIMIT_MIB_PER_HOUR) === "beyond")
      problems.push(`${name} RSS grew ${formatSlope(trend.slope, trend.standardError, "MiB/h")} (limit ${RSS_SLOPE_LIMIT_MIB_PER_HOUR} MiB/h)`);
  }
  const latency = trends.latency;
  if (againstLimit(latency.slopePercentPerHour, latency.standardError, LATENCY_SLOPE_LIMIT_PERCENT_PER_HOUR) === "beyond")
    problems.push(
      `turn latency grew ${formatSlope(latency.slopePercentPerHour, latency.standardError, "%/h")} of its median (limit ${LATENCY_SLOPE_LIMIT_PERCENT_PER_HOUR} %/h)`,
    );
  return problems;
}

/** "1 h 12 min", "10 min", "45 s". */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
}

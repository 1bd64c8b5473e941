/**
 * Phase 2 stability: "24 h continuous run (locally: soak with bounded request loops)", judged
 * from `npm run soak`'s reports/soak.json. NG when a container crashed or started unasked, a
 * turn failed, a wake lost state, or memory or latency trended upward beyond the stated slopes
 * (verify/soak-trend.ts); OK when none of that happened over the plan's 24 h; a shorter clean
 * run is OK with that constraint. No soak report: unverified (verify never starts a soak: it
 * runs for hours).
 */
import type { Evidence } from "../evidence.ts";
import type { SoakFile } from "../evidence-files.ts";
import {
  formatDuration,
  formatSlope,
  LATENCY_SLOPE_LIMIT_PERCENT_PER_HOUR,
  PLAN_SOAK_HOURS,
  RSS_SLOPE_LIMIT_MIB_PER_HOUR,
  soakTrends,
  stabilityProblems,
  undecidedTrends,
} from "../soak-trend.ts";
import type { Judgement, VerifyContext } from "../types.ts";

const SOAK_COMMAND = `npm run soak -- --duration ${PLAN_SOAK_HOURS}h`;

const fixed = (value: number | null, digits: number, unit: string) => (value === null ? "not enough samples" : `${value.toFixed(digits)} ${unit}`);

export function judgeStabilityItem(_ctx: VerifyContext, { soak }: { soak: Evidence<SoakFile> }): Judgement {
  const data = soak.data;
  if (!data) {
    return {
      verdict: "unverified",
      summary: "no soak report: run npm run soak",
      evidence: [`${soak.problem}.`, "verify does not start a soak itself: it runs for as long as it is asked to (the plan: 24 h)."],
      wouldChange: [`run \`${SOAK_COMMAND}\` (or a shorter \`--duration 1h\`), then \`npm run verify -- --reuse\``],
      sources: [soak.source],
    };
  }
  const trends = soakTrends(data);
  const problems = stabilityProblems(data, trends);
  const undecided = undecidedTrends(trends);
  const hours = data.ranMs / 3_600_000;
  const restored = data.wakes.filter((wake) => wake.restored).length;
  const failed = data.turns.filter((turn) => !turn.ok).length;
  const evidence = [
    `Ran ${formatDuration(data.ranMs)} of ${formatDuration(data.requestedMs)} asked${data.interrupted ? ` (${data.interrupted})` : ""} on ${data.instanceType}: a chat turn with a tool call every ${formatDuration(data.intervalMs)} through the Worker (HTTP and WebSocket alternating, each WebSocket turn a reconnect), a backup after each turn, sleepAfter ${data.sleepAfter}.`,
    `Turns: ${data.turns.length}, ${failed} failed; warm turn latency p50 ${fixed(trends.latency.p50 === null ? null : trends.latency.p50 / 1000, 1, "s")}, p95 ${fixed(trends.latency.p95 === null ? null : trends.latency.p95 / 1000, 1, "s")}; trend ${formatSlope(trends.latency.slopePercentPerHour, trends.latency.standardError, "%/h")} of the median (limit ${LATENCY_SLOPE_LIMIT_PERCENT_PER_HOUR} %/h; ± is twice the standard error).`,
    `Gateway RSS ${fixed(trends.gatewayRss.first, 0, "MiB")} → ${fixed(trends.gatewayRss.last, 0, "MiB")}, trend ${formatSlope(trends.gatewayRss.slope, trends.gatewayRss.standardError, "MiB/h")}; supervisor RSS ${fixed(trends.supervisorRss.first, 0, "MiB")} → ${fixed(trends.supervisorRss.last, 0, "MiB")}, trend ${formatSlope(trends.supervisorRss.slope, trends.supervisorRss.standardError, "MiB/h")} (limit ${RSS_SLOPE_LIMIT_MIB_PER_HOUR} MiB/h each; least-squares per container start, weighted by its span). A slope counts as growth beyond its limit only when it exceeds the limit by more than twice its standard error.`,
    `Sleep → wake: ${data.wakes.length} cycle(s), the state (every file the tool calls wrote) restored in ${restored}; the Durable Object counted ${data.starts} container start(s) and ${data.crashes} crash(es).`,
    ...(problems.length ? [`What broke it: ${problems.join("; ")}.`] : []),
    ...(undecided.length ? [`Above the limit but within the noise (not decided by this run): ${undecided.join("; ")}.`] : []),
  ];
  const short = hours < PLAN_SOAK_HOURS;
  const verdict = problems.length ? "NG" : short || undecided.length ? "OK with constraints" : "OK";
  return {
    verdict,
    summary: problems.length
      ? problems.join("; ")
      : `no crash, ${restored}/${data.wakes.length} wakes restored, no growth beyond the limits over ${formatDuration(data.ranMs)}` +
        (undecided.length ? `; undecided: ${undecided.join(", ")}` : "") +
        (short ? ` (the plan asks for ${PLAN_SOAK_HOURS} h)` : ""),
    evidence,
    wouldChange: [
      ...(short ? [`a ${PLAN_SOAK_HOURS}-hour run: \`${SOAK_COMMAND}\` (a short run's slopes are dominated by warm-up and noise)`] : []),
      ...(undecided.length ? [`a longer run: ${undecided.join(", ")} is above its limit only within twice its standard error`] : []),
      ...(data.wakes.length === 0 ? ["a run long enough for a sleep → wake cycle (sleepAfter plus a cold start)"] : []),
      "the same load against the deployed Worker (real Containers, real sleepAfter and R2)",
    ],
    sources: [soak.source],
  };
}

/**
 * reports/soak.md: what a person reads of a soak run — the figures verify judges (slopes and
 * their limits, crashes, wakes), then each series over time as a text chart (it reads the same
 * in a terminal, an editor and a rendered page), then the turns and wakes.
 */
import type { SoakFile } from "../../verify/evidence-files.ts";
import {
  formatDuration,
  formatSlope,
  LATENCY_SLOPE_LIMIT_PERCENT_PER_HOUR,
  PLAN_SOAK_HOURS,
  RSS_SLOPE_LIMIT_MIB_PER_HOUR,
  soakTrends,
  stabilityProblems,
  undecidedTrends,
} from "../../verify/soak-trend.ts";
import { markdownTable } from "../integration/openclaw-reports.ts";

const WIDTH = 60;
const HEIGHT = 8;

/**
 * A text plot of (t, value) points: `HEIGHT` rows between the series' min and max, one column per
 * slice of the run's time, the y range on the left and the time axis below.
 */
export function textChart(title: string, unit: string, points: readonly { t: number; v: number }[], spanMs: number): string {
  if (!points.length) return `${title}: no samples`;
  const values = points.map((point) => point.v);
  const low = Math.min(...values);
  const high = Math.max(...values);
  const range = high - low || 1;
  const grid = Array.from({ length: HEIGHT }, () => Array<string>(WIDTH).fill(" "));
  for (const point of points) {
    const column = Math.min(WIDTH - 1, Math.floor((point.t / Math.max(spanMs, 1)) * WIDTH));
    const row = HEIGHT - 1 - Math.round(((point.v - low) / range) * (HEIGHT - 1));
    grid[row]![column] = "•";
  }
  const label = (value: number) => format(value).padStart(8);
  const lines = grid.map((cells, index) => {
    const edge = index === 0 ? label(high) : index === HEIGHT - 1 ? label(low) : " ".repeat(8);
    return `${edge} ┤${cells.join("")}`;
  });
  const axis = `${" ".repeat(8)} └${"─".repeat(WIDTH)}`;
  const times = `${" ".repeat(10)}0${formatDuration(spanMs).padStart(WIDTH - 1)}`;
  return [`${title} (${unit}; min ${format(low)}, max ${format(high)}, n=${points.length})`, ...lines, axis, times].join("\n");
}

function format(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1);
}

const fixed = (value: number | null, digits = 1, unit = "") => (value === null ? "—" : `${value.toFixed(digits)}${unit}`);

export function soakMarkdown(soak: SoakFile): string {
  const trends = soakTrends(soak);
  const problems = stabilityProblems(soak, trends);
  const undecided = undecidedTrends(trends);
  const span = Math.max(soak.ranMs, 1);
  const running = soak.samples.filter((sample) => sample.status === "running");
  const series = (pick: (sample: (typeof running)[number]) => number | null) =>
    running.flatMap((sample) => {
      const value = pick(sample);
      return value === null ? [] : [{ t: sample.t, v: value }];
    });
  const backups = new Map(
    running.flatMap((sample) => (sample.lastBackup ? [[sample.lastBackup.at, { t: sample.t, v: sample.lastBackup.durationMs }] as const] : [])),
  );
  const warm = soak.turns.filter((turn) => turn.ok && !turn.cold);
  const failed = soak.turns.filter((turn) => !turn.ok);
  const toolRan = soak.turns.filter((turn) => turn.toolRan).length;
  const summary: string[][] = [
    ["ran", `${formatDuration(soak.ranMs)} of ${formatDuration(soak.requestedMs)} asked${soak.interrupted ? ` — ${soak.interrupted}` : ""}`],
    [
      "load",
      `a chat turn with a tool call every ${formatDuration(soak.intervalMs)} (HTTP and WebSocket alternating, each WebSocket turn a reconnect), a backup after each; sleepAfter ${soak.sleepAfter}`,
    ],
    ["turns", `${soak.turns.length} (${failed.length} failed); the tool ran in ${toolRan}`],
    [
      "turn latency (warm)",
      `p50 ${fixed(trends.latency.p50 === null ? null : trends.latency.p50 / 1000, 1, " s")}, p95 ${fixed(trends.latency.p95 === null ? null : trends.latency.p95 / 1000, 1, " s")}, n=${trends.latency.turns}`,
    ],
    [
      "latency trend",
      `${formatSlope(trends.latency.slopePercentPerHour, trends.latency.standardError, "%/h")} of the median (limit ${LATENCY_SLOPE_LIMIT_PERCENT_PER_HOUR} %/h)`,
    ],
    [
      "gateway RSS",
      `${fixed(trends.gatewayRss.first, 0)} → ${fixed(trends.gatewayRss.last, 0)} MiB (max ${fixed(trends.gatewayRss.max, 0)}); trend ${formatSlope(trends.gatewayRss.slope, trends.gatewayRss.standardError, "MiB/h")} over ${trends.gatewayRss.starts} container start(s) (limit ${RSS_SLOPE_LIMIT_MIB_PER_HOUR} MiB/h)`,
    ],
    [
      "supervisor RSS",
      `${fixed(trends.supervisorRss.first, 0)} → ${fixed(trends.supervisorRss.last, 0)} MiB (max ${fixed(trends.supervisorRss.max, 0)}); trend ${formatSlope(trends.supervisorRss.slope, trends.supervisorRss.standardError, "MiB/h")} (limit ${RSS_SLOPE_LIMIT_MIB_PER_HOUR} MiB/h)`,
    ],
    ["sleep → wake", `${soak.wakes.length} cycle(s); state restored in ${soak.wakes.filter((wake) => wake.restored).length}`],
    ["container", `${soak.starts} start(s), ${soak.crashes} crash(es)`],
    ["errors", soak.errors.length ? soak.errors.slice(0, 5).join("; ") : "none"],
  ];
  return [
    "# Soak run",
    "",
    `Generated by \`npm run soak\` at ${soak.generatedAt} (instance type ${soak.instanceType}); read by \`npm run verify\` (stability item). ` +
      `The plan asks for ${PLAN_SOAK_HOURS} h; this run is ${formatDuration(soak.ranMs)}.`,
    "",
    `**${
      problems.length
        ? `Unstable: ${problems.join("; ")}`
        : `Stable: nothing crashed, every wake restored the state, no growth beyond the limits${undecided.length ? ` (undecided, above the limit within the noise: ${undecided.join("; ")})` : ""}`
    }.**`,
    "",
    markdownTable(["what", "value"], summary),
    "",
    "Slopes are least-squares fits over the run, ± twice their standard error: RSS per container start (a wake boots a fresh gateway), weighted by the time each start spans; latency over the warm turns (not the first of each container start). A slope is growth beyond its limit only when it exceeds the limit by more than that margin.",
    "",
    "## Over time",
    "",
    "```text",
    textChart(
      "gateway RSS",
      "MiB",
      series((sample) => sample.gatewayRssMiB),
      span,
    ),
    "",
    textChart(
      "supervisor RSS",
      "MiB",
      series((sample) => sample.supervisorRssMiB),
      span,
    ),
    "",
    textChart(
      "turn latency (warm turns)",
      "s",
      warm.map((turn) => ({ t: turn.t, v: turn.ms / 1000 })),
      span,
    ),
    "",
    textChart("backup duration", "ms", [...backups.values()], span),
    "",
    textChart(
      "backed-up state",
      "MiB",
      series((sample) => (sample.stateBytes === null ? null : sample.stateBytes / 1024 / 1024)),
      span,
    ),
    "```",
    "",
    "## Sleep → wake",
    "",
    soak.wakes.length
      ? markdownTable(
          ["at", "stopped after the last request", "wake → first reply", "marker files back", "restored from"],
          soak.wakes.map((wake) => [
            formatDuration(wake.t),
            `${(wake.sleptAfterMs / 1000).toFixed(0)} s`,
            `${(wake.wakeMs / 1000).toFixed(1)} s`,
            `${wake.markersFound}/${wake.markersExpected}`,
            wake.restoreSource ?? "unknown",
          ]),
        )
      : "No sleep cycle ran (the run was too short for sleepAfter plus a cold start).",
    "",
    "## Turns",
    "",
    markdownTable(
      ["at", "transport", "result", "seconds", "tool ran"],
      soak.turns.map((turn) => [
        formatDuration(turn.t),
        `${turn.transport}${turn.cold ? " (first of a container start)" : ""}`,
        turn.ok ? "ok" : `failed: ${turn.error ?? ""}`,
        (turn.ms / 1000).toFixed(1),
        turn.toolRan ? "yes" : "no",
      ]),
    ),
    "",
  ].join("\n");
}

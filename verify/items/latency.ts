/**
 * Phase 2 latency: the Worker-proxied path against direct access to the same container,
 * from the warm-latency figures of `npm run bench`. Above 3x is a stop criterion.
 *
 * Which figures decide: the plan's latency is the latency of using OpenClaw, so the
 * user-level operations decide — a chat round trip and a WebSocket round trip (medians).
 * A no-op request (GET /healthz) measures the Worker's fixed per-request overhead against
 * a loopback baseline of about a millisecond; its ratio is reported with the absolute
 * difference, but does not decide. When no user-level figure exists, every median figure decides.
 */
import type { BenchReport } from "../bench-results.ts";
import { BENCH_COMMAND, chartOf, describeRow, figuresWith, latencyPair } from "../bench.ts";
import type { Evidence } from "../evidence.ts";
import type { Judgement, StopHit, Verdict, VerifyContext } from "../types.ts";
import { judgeLatency } from "../verdicts.ts";

const signed = (value: number) => `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(1)}`;

/** The figures that decide: a chat round trip and a WebSocket round trip (medians). */
const USER_LEVEL = ["warm-latency.chat", "warm-latency.ws"];

export function judgeLatencyItem(_ctx: VerifyContext, { bench }: { bench: Evidence<BenchReport> }): Judgement {
  const figures = figuresWith(bench.data, "warm-latency.", "latency.");
  const pairs = figures.map((figure) => ({ figure, pair: latencyPair(figure) })).filter((entry) => entry.pair);
  if (!pairs.length) {
    return {
      verdict: "unverified",
      summary: bench.data ? "bench.json has no latency figure with a direct and a Worker row" : "no bench evidence: run npm run bench",
      evidence: [bench.data ? `Figures in bench.json: ${bench.data.figures.map((figure) => figure.id).join(", ") || "none"}.` : `${bench.problem}.`],
      wouldChange: [`run \`${BENCH_COMMAND}\` (its warm-latency figures compare the Worker path with direct access)`],
      sources: [bench.source],
      charts: figures.map(chartOf),
    };
  }
  const all = pairs.map(({ figure, pair }) => ({ figure, pair: pair!, judgement: judgeLatency(pair!.worker.median / pair!.direct.median) }));
  const userLevel = all.filter((entry) => USER_LEVEL.includes(entry.figure.id));
  const judged = userLevel.length ? userLevel : all.filter((entry) => !entry.figure.id.endsWith(".p95"));
  const informative = all.filter((entry) => !judged.includes(entry));
  const order: Verdict[] = ["NG", "OK with constraints", "OK", "unverified"];
  const worst = order.find((verdict) => judged.some((entry) => entry.judgement.verdict === verdict)) ?? "unverified";
  const stops = judged.map((entry) => entry.judgement.stop).filter((stop): stop is StopHit => !!stop);
  const overThree = informative.filter((entry) => entry.judgement.verdict === "NG");
  const verdict: Verdict = worst === "OK" && overThree.length ? "OK with constraints" : worst;
  const added = (entry: (typeof all)[number]) =>
    `${entry.figure.id}: ${entry.judgement.why}, ${signed(entry.pair.worker.median - entry.pair.direct.median)} ${entry.figure.unit}`;
  return {
    verdict,
    summary:
      judged.map((entry) => `${entry.figure.id}: ${entry.judgement.why}`).join("; ") +
      (overThree.length ? `; no-op requests: ${overThree.map(added).join(", ")}` : ""),
    evidence: [
      `Deciding (user-level operations, medians): ${judged.map((entry) => entry.figure.id).join(", ")}.`,
      ...judged.map(
        ({ figure, pair, judgement }) =>
          `${figure.title}: ${describeRow(pair.direct, figure.unit)}; ${describeRow(pair.worker, figure.unit)} → ${judgement.why}.`,
      ),
      ...informative.map(
        (entry) =>
          `Reported, not deciding — ${entry.figure.title}: ${describeRow(entry.pair.direct, entry.figure.unit)}; ${describeRow(entry.pair.worker, entry.figure.unit)} → ${added(entry)}.`,
      ),
      ...all
        .filter((entry) => entry.pair.floor)
        .map(
          ({ figure, pair }) =>
            `Against the floor — ${figure.title}: ${describeRow(pair.floor!, figure.unit)}, so wrangler dev alone adds ${signed(pair.floor!.median - pair.direct.median)} ${figure.unit} and moltlab's Worker ${signed(pair.worker.median - pair.floor!.median)} ${figure.unit} more: ×${(pair.worker.median / pair.floor!.median).toFixed(2)} of the floor (goal ≤ ×1.2).`,
        ),
      ...all
        .filter((entry) => entry.pair.floor && entry.pair.shapeFloor)
        .map(
          ({ figure, pair }) =>
            `Against the floor in moltworker's shape — ${figure.title}: ${describeRow(pair.shapeFloor!, figure.unit)}. The static assets and the Durable Object hop that every moltworker has cost ${signed(pair.shapeFloor!.median - pair.floor!.median)} ${figure.unit} over the one-line proxy; moltlab's own code adds ${signed(pair.worker.median - pair.shapeFloor!.median)} ${figure.unit}: ×${(pair.worker.median / pair.shapeFloor!.median).toFixed(2)} of that floor.`,
        ),
      ...(overThree.length
        ? [
            `The Worker's fixed overhead per request is above 3x of a loopback no-op (${overThree.map(added).join("; ")}): invisible next to a chat turn, but it would matter for chatty request patterns.`,
          ]
        : []),
      ...figuresWith(bench.data, "throughput.").map(
        (figure) =>
          `Reported, not deciding — ${figure.title}: ${figure.rows.map((row) => describeRow(row, figure.unit)).join("; ")}: on this 2-core host workerd, the Durable Object and the clients share the CPU with the container.`,
      ),
      "Why a no-op ratio above 3x is not a stop: the plan's bar is about what a user waits for (a chat turn, a WebSocket round trip); a fixed ~12 ms per request matters only for chatty request patterns.",
      "Locally every hop is loopback: the ratio measures the Worker's own overhead (workerd, the Durable Object, the relay), not the distance to Cloudflare's edge, which the real deployment adds.",
    ],
    wouldChange: [
      ...judged
        .filter((entry) => Math.min(entry.pair.direct.samples.length, entry.pair.worker.samples.length) < 5)
        .map(
          (entry) =>
            `more samples for ${entry.figure.id} (n=${Math.min(entry.pair.direct.samples.length, entry.pair.worker.samples.length)} here): on a shared host a single sample can move the ratio across the 2x line`,
        ),
      "the same measurement against a deployed Worker from the user's network (adds the round trip to the nearest Cloudflare location)",
    ],
    sources: [bench.source],
    charts: [...judged, ...informative].map((entry) => chartOf(entry.figure)),
    ...(stops.length ? { stops } : {}),
  };
}

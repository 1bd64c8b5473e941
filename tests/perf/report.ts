/**
 * Helpers for perf runs: sampling, medians and percentiles, and recording a figure. A
 * recorded figure is printed (median, min, max, ratio to the first row) and saved for the
 * run's report (reports/bench.json and bench.md, written by global-setup.ts at the end).
 * Nothing here judges a number: benchmarks never pass or fail on speed.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { inject } from "vitest";
import { median } from "../../core/stats.ts";
import type { BenchFigure, BenchRow } from "../../verify/bench-results.ts";
import { describeR2 } from "../../verify/bench.ts";
import { formatRatio, formatValue } from "../../verify/writers/charts.ts";

declare module "vitest" {
  interface ProvidedContext {
    /** The folder where this run's figures are collected (see global-setup.ts). */
    benchFigures: string;
  }
}

export { median, percentile } from "../../core/stats.ts";

/** Times `body` `runs` times, one after another, and returns the samples in milliseconds. */
export async function sample(runs: number, body: (run: number) => Promise<void> | void): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await body(i);
    samples.push(performance.now() - started);
  }
  return samples;
}

export function row(label: string, samples: readonly number[]): BenchRow {
  if (samples.length === 0) throw new Error(`row "${label}" has no samples`);
  const rounded = samples.map((value) => Math.round(value * 1000) / 1000);
  return { label, samples: rounded, median: median(rounded), min: Math.min(...rounded), max: Math.max(...rounded) };
}

/** "×1.23" of a row's median against the first row's, or "" for the first row itself. */
export function ratioText(figure: Pick<BenchFigure, "rows">, index: number): string {
  const baseline = figure.rows[0]!.median;
  return index === 0 || baseline <= 0 ? "" : formatRatio(figure.rows[index]!.median / baseline);
}

export function formatFigure(figure: BenchFigure): string {
  const width = Math.max(...figure.rows.map((item) => item.label.length));
  const lines = figure.rows.map(
    (item, index) =>
      `  ${item.label.padEnd(width)}  median ${formatValue(item.median).padStart(8)} ${figure.unit}   min ${formatValue(item.min).padStart(8)}   max ${formatValue(item.max).padStart(8)}   ${ratioText(figure, index).padEnd(7)} (n=${item.samples.length})${item.r2 ? `   R2: ${describeR2(item.r2)}` : ""}`,
  );
  const notes = (figure.notes ?? []).map((note) => `  · ${note}`);
  return [`${figure.title} [${figure.id}]`, ...lines, ...notes].join("\n");
}

let recorded = 0;

/** Prints the figure and keeps it for reports/bench.json. */
export function recordFigure(figure: BenchFigure): BenchFigure {
  if (figure.rows.length === 0) throw new Error(`figure ${figure.id} has no rows`);
  console.log(`\n${formatFigure(figure)}`);
  // Named so that sorting the names gives the recording order (bench.md keeps it within a section).
  const file = join(
    inject("benchFigures"),
    `${String(Date.now()).padStart(15, "0")}-${String(++recorded).padStart(4, "0")}-${randomBytes(3).toString("hex")}.json`,
  );
  writeFileSync(file, JSON.stringify(figure));
  return figure;
}

/** Prints a ratio the plan asks about ("within 2x, stop at 3x"), never judging it. */
export function printRatio(what: string, numerator: number, denominator: number): string {
  const text = `${what}: ×${(numerator / denominator).toFixed(2)}`;
  console.log(text);
  return text;
}

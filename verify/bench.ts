/** reports/bench.json (written by `npm run bench`, contract in verify/bench-results.ts) as evidence. */
import type { BenchFigure, BenchReport } from "./bench-results.ts";
import type { RangeChart } from "./writers/charts.ts";
import { EVIDENCE_FILES } from "./evidence-files.ts";

export const BENCH_COMMAND = EVIDENCE_FILES.bench.writtenBy;

/** Figures whose id starts with one of the prefixes ("cold-start.", "backup."). */
export function figuresWith(report: BenchReport | undefined, ...prefixes: string[]): BenchFigure[] {
  return (report?.figures ?? []).filter((figure) => prefixes.some((prefix) => figure.id.startsWith(prefix)));
}

/** A figure as a range chart; milliseconds past ten seconds are shown in seconds. */
export function chartOf(figure: BenchFigure): RangeChart {
  const inSeconds = figure.unit === "ms" && Math.max(...figure.rows.map((row) => row.max)) > 10_000;
  const scale = inSeconds ? 1 / 1000 : 1;
  return {
    title: figure.title,
    unit: inSeconds ? "s" : figure.unit,
    rows: figure.rows.map(({ label, median, min, max }) => ({ label, median: median * scale, min: min * scale, max: max * scale })),
  };
}

/** Bytes in binary units, as the bench sizes its workspaces: "512 B", "16.0 KiB", "200.3 MiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A row's R2 requests and bytes: "12,802 Class A, 0 Class B, 0 free; 200.3 MiB up, 0 B down". */
export function describeR2(r2: NonNullable<BenchFigure["rows"][number]["r2"]>): string {
  const count = (value: number) => value.toLocaleString("en-US");
  return `${count(r2.classA)} Class A, ${count(r2.classB)} Class B, ${count(r2.free)} free; ${formatBytes(r2.bytesUp)} up, ${formatBytes(r2.bytesDown)} down`;
}

/** A value in a figure's unit; milliseconds from a second up are given in seconds. */
export function formatMeasure(value: number, unit: string): string {
  if (unit === "ms" && value >= 1000) return `${(value / 1000).toFixed(1)} s`;
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${unit}`;
}

/** "label: 41.2 s median (38.0 s–45.1 s, n=3)"; one sample: "label: 41.2 s (n=1)". */
export function describeRow(row: BenchFigure["rows"][number], unit: string): string {
  if (row.samples.length <= 1) return `${row.label}: ${formatMeasure(row.median, unit)} (n=1)`;
  return `${row.label}: ${formatMeasure(row.median, unit)} median (${formatMeasure(row.min, unit)}–${formatMeasure(row.max, unit)}, n=${row.samples.length})`;
}

/** One line for a whole figure: "title: row; row; …". */
export function describeFigure(figure: BenchFigure): string {
  return `${figure.title} (\`${figure.id}\`): ${figure.rows.map((row) => describeRow(row, figure.unit)).join("; ")}`;
}

type Row = BenchFigure["rows"][number];

/**
 * The Worker-proxied and the direct row of a latency figure: rows whose labels name the
 * Worker and direct access ("straight to the container"). Undefined when the figure does not have both.
 * With the bench's floors (tests/perf/worker-floor.ts): `floor`, the one-line proxy, and
 * `shapeFloor`, the same in moltworker's shape (static assets and one Durable Object hop).
 */
export function latencyPair(figure: BenchFigure): { direct: Row; worker: Row; floor?: Row; shapeFloor?: Row } | undefined {
  const isFloor = (row: Row) => /^floor\b/i.test(row.label);
  const direct = figure.rows.find((row) => /direct|straight to the container/i.test(row.label) && !/worker/i.test(row.label) && !isFloor(row));
  const worker = figure.rows.find((row) => /worker/i.test(row.label) && row !== direct && !isFloor(row));
  const shapeFloor = figure.rows.find((row) => isFloor(row) && /moltworker's shape/i.test(row.label));
  const floor = figure.rows.find((row) => isFloor(row) && row !== shapeFloor);
  return direct && worker ? { direct, worker, ...(floor ? { floor } : {}), ...(shapeFloor ? { shapeFloor } : {}) } : undefined;
}

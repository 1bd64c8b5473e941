/**
 * Turns the figures one `npm run bench` recorded into reports/bench.json (the contract in
 * verify/bench-results.ts, its name in verify/evidence-files.ts, read by `moltlab verify`), reports/bench.md and one SVG chart
 * per figure in reports/bench/. Only this run's figures: a figure is a set of samples
 * measured side by side in one run, never merged with an earlier run's.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { BenchFigure, BenchReport } from "../../verify/bench-results.ts";
import { EVIDENCE_FILES, evidencePath } from "../../verify/evidence-files.ts";
import { describeR2 } from "../../verify/bench.ts";
import { formatValue, rangeChartSvg } from "../../verify/writers/charts.ts";
import { machineFacts } from "../../core/machine.ts";
import { formatSeconds } from "../../core/ui.ts";
import { ratioText } from "./report.ts";

export const BENCH_JSON = evidencePath(EVIDENCE_FILES.bench);
export const BENCH_MD = BENCH_JSON.replace(/\.json$/, ".md");
/** The charts, next to the Markdown that links them. */
export const BENCH_CHARTS = join(dirname(BENCH_JSON), "bench");

/** Sections of bench.md, in reading order, by figure id prefix; anything else goes last. */
const SECTION_ORDER: readonly (readonly string[])[] = [
  ["cold-start."],
  ["warm-latency.", "throughput."],
  ["backup.", "restore."],
  ["image."],
  ["container-start."],
];

function sectionRank(id: string): number {
  const index = SECTION_ORDER.findIndex((prefixes) => prefixes.some((prefix) => id.startsWith(prefix)));
  return index === -1 ? SECTION_ORDER.length : index;
}

/** The figures saved in `dir` by recordFigure, in report order (section, then recording time). */
export function readFigures(dir: string): BenchFigure[] {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort();
  const figures = files.map((name, index) => ({ index, figure: JSON.parse(readFileSync(join(dir, name), "utf8")) as BenchFigure }));
  figures.sort((a, b) => sectionRank(a.figure.id) - sectionRank(b.figure.id) || a.index - b.index);
  const seen = new Set<string>();
  for (const { figure } of figures) {
    if (seen.has(figure.id)) throw new Error(`two figures with the id ${figure.id}: ids must be unique within a run`);
    seen.add(figure.id);
  }
  return figures.map(({ figure }) => figure);
}

function chartFile(figure: BenchFigure): string {
  return `${figure.id.replace(/[^a-z0-9.-]+/gi, "-")}.svg`;
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|");
}

export function renderMarkdown(report: BenchReport, runSeconds: number | null): string {
  const { machine } = report;
  const lines = [
    "# moltlab bench",
    "",
    `Generated ${report.generatedAt} by \`npm run bench\` on ${machine.arch}, ${machine.cpus} CPUs, ${machine.memoryGiB} GiB, ` +
      `Docker ${machine.docker}${runSeconds === null ? "" : `; the run took ${formatSeconds(runSeconds)}`}.`,
    "",
    "Every figure is measured side by side in this one run: the median with the range (min…max) over",
    "n samples, and each row's median as a ratio to the first row's. Nothing here passes or fails on",
    "speed; the notes say what a reader must know to trust a figure. The same numbers are in",
    "`bench.json` (raw samples included).",
    "",
  ];
  for (const figure of report.figures) {
    lines.push(`## ${figure.title}`, "", `\`${figure.id}\` · unit: ${figure.unit}`, "", `![${figure.title}](bench/${chartFile(figure)})`, "");
    // Figures that talk to R2 get a column with each row's requests and bytes.
    const r2 = figure.rows.some((item) => item.r2);
    lines.push(`| row | median | min | max | ratio | n |${r2 ? " R2 per sample |" : ""}`, `|---|---:|---:|---:|---:|---:|${r2 ? "---|" : ""}`);
    figure.rows.forEach((item, index) => {
      lines.push(
        `| ${escapeCell(item.label)} | ${formatValue(item.median)} | ${formatValue(item.min)} | ${formatValue(item.max)} | ${ratioText(figure, index) || "—"} | ${item.samples.length} |${r2 ? ` ${item.r2 ? describeR2(item.r2) : "—"} |` : ""}`,
      );
    });
    if (figure.notes?.length) lines.push("", ...figure.notes.map((note) => `- ${note}`));
    lines.push("");
  }
  return lines.join("\n");
}

/** Writes bench.json, bench.md and the charts; returns the paths written. */
export async function writeBenchReport(figures: BenchFigure[], runSeconds: number | null): Promise<string[]> {
  const report: BenchReport = { generatedAt: new Date().toISOString(), machine: await machineFacts(), figures };
  mkdirSync(dirname(BENCH_JSON), { recursive: true });
  // The chart folder holds this run's charts only: an old chart next to a new report would mislead.
  rmSync(BENCH_CHARTS, { recursive: true, force: true });
  mkdirSync(BENCH_CHARTS, { recursive: true });
  for (const figure of figures) {
    writeFileSync(join(BENCH_CHARTS, chartFile(figure)), rangeChartSvg({ title: figure.title, unit: figure.unit, rows: figure.rows }));
  }
  writeFileSync(BENCH_JSON, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(BENCH_MD, renderMarkdown(report, runSeconds));
  return [BENCH_JSON, BENCH_MD, BENCH_CHARTS];
}

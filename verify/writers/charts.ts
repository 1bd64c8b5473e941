/**
 * Self-contained SVG charts for the bench summary and the verification report: no
 * scripts, no fonts to fetch, so they render the same in a Markdown viewer, a browser
 * opened from a CI artifact, or an HTML page inlined offline.
 */
import { escapeHtml } from "../../core/html.ts";

export interface ChartRow {
  label: string;
  median: number;
  min: number;
  max: number;
}

export interface RangeChart {
  title: string;
  /** Printed after each value, e.g. "ms", "s", "MB". */
  unit: string;
  rows: readonly ChartRow[];
}

const ROW_HEIGHT = 28;
const LABEL_WIDTH = 240;
const PLOT_WIDTH = 420;
const VALUE_WIDTH = 170;
const TOP = 36;

/**
 * The label column is 240 px wide (about 30 characters at its font size): a long label loses
 * its parenthesised detail first, then its tail (the full label is the row's tooltip).
 */
export function fitLabel(label: string, max = 30): string {
  const short = label.length > max ? label.replace(/\s*\([^)]*\)/g, "").trim() : label;
  return short.length > max ? `${short.slice(0, max - 1)}…` : short;
}

/** "×2.07"; a share below half a percent reads "×<0.01", not "×0.00". */
export function formatRatio(ratio: number): string {
  return ratio > 0 && ratio < 0.005 ? "×<0.01" : `×${ratio.toFixed(2)}`;
}

export function formatValue(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/**
 * One horizontal bar per row: the bar is the median, the whisker spans min…max, and the
 * text gives the median and its ratio to the first row (rows are compared side by side).
 */
export function rangeChartSvg(chart: RangeChart): string {
  if (chart.rows.length === 0) throw new Error(`chart "${chart.title}" has no rows`);
  const top = Math.max(...chart.rows.map((row) => row.max), ...chart.rows.map((row) => row.median)) || 1;
  const x = (value: number) => LABEL_WIDTH + (value / top) * PLOT_WIDTH;
  const baseline = chart.rows[0]!.median;
  const width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;
  const height = TOP + chart.rows.length * ROW_HEIGHT + 12;
  const rows = chart.rows.map((row, index) => {
    const y = TOP + index * ROW_HEIGHT;
    const ratio = baseline > 0 ? ` ${escapeHtml(formatRatio(row.median / baseline))}` : "";
    return [
      `<text x="${LABEL_WIDTH - 8}" y="${y + 17}" text-anchor="end"><title>${escapeHtml(row.label)}</title>${escapeHtml(fitLabel(row.label))}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y + 5}" width="${Math.max(1, x(row.median) - LABEL_WIDTH).toFixed(1)}" height="${ROW_HEIGHT - 10}" fill="#f38020"/>`,
      `<line x1="${x(row.min).toFixed(1)}" x2="${x(row.max).toFixed(1)}" y1="${y + 14}" y2="${y + 14}" stroke="#333" stroke-width="1.5"/>`,
      `<line x1="${x(row.min).toFixed(1)}" x2="${x(row.min).toFixed(1)}" y1="${y + 8}" y2="${y + 20}" stroke="#333"/>`,
      `<line x1="${x(row.max).toFixed(1)}" x2="${x(row.max).toFixed(1)}" y1="${y + 8}" y2="${y + 20}" stroke="#333"/>`,
      `<text x="${LABEL_WIDTH + PLOT_WIDTH + 8}" y="${y + 17}">${formatValue(row.median)} ${escapeHtml(chart.unit)}${index > 0 ? ratio : ""}</text>`,
    ].join("");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="22" font-weight="bold" font-size="15">${escapeHtml(chart.title.replaceAll("`", ""))}</text>`,
    ...rows,
    `<text x="${width - 8}" y="${height - 2}" text-anchor="end" font-size="10" fill="#666">bar: median · whisker: min…max</text>`,
    `</svg>`,
  ].join("\n");
}

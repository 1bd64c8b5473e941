/** reports/verify.md: the summary table first, then one section per item. */
import { formatValue } from "./charts.ts";
import { describeSource } from "../evidence.ts";
import type { ItemResult, Table, VerifyReport } from "../types.ts";

function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|").trim() || " ";
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, header.map(() => "---"), ...rows].map((row) => `| ${row.map(cell).join(" | ")} |`).join("\n");
}

export const VERDICT_MARK: Record<ItemResult["verdict"], string> = {
  OK: "✅ OK",
  "OK with constraints": "🟡 OK with constraints",
  NG: "❌ NG",
  unverified: "⚪ unverified",
};

export function anchorOf(item: Pick<ItemResult, "id" | "title">): string {
  return `${item.id}-${item.title}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

export function headline(report: VerifyReport): string[] {
  const m = report.machine;
  return [
    `Generated ${report.generatedAt} on ${m.arch}, ${m.cpus} CPUs, ${m.memoryGiB} GiB, Docker ${m.docker}, Node ${m.node}.`,
    `Evidence: ${report.evidenceMode}.`,
    report.stops.length
      ? `**Stop criteria hit (exit ${report.exitCode}):** ${report.stops.map((stop) => `${stop.criterion} — ${stop.detail}`).join("; ")}.`
      : `No stop criterion of the plan is hit (exit ${report.exitCode}). Unverified items never fail verify; they say what would verify them.`,
  ];
}

function tableBlock(table: Table): string[] {
  return [`**${table.caption}**`, "", markdownTable(table.header, table.rows), ""];
}

function section(item: ItemResult, now: Date): string[] {
  const out = [
    `<a id="${anchorOf(item)}"></a>`,
    "",
    `## ${item.id} ${item.title}: ${VERDICT_MARK[item.verdict]}`,
    "",
    `**Question.** ${item.question}  `,
    `**Pass criterion.** ${item.criterion}  `,
    `**Verdict.** ${item.verdict}: ${item.summary}`,
    "",
    "**Evidence**",
    "",
    ...item.evidence.map((line) => `- ${line}`),
    "",
    "**What would change the verdict**",
    "",
    ...item.wouldChange.map((line) => `- ${line}`),
    "",
  ];
  if (item.stops?.length) out.push("**Stop criteria hit**", "", ...item.stops.map((stop) => `- ${stop.criterion}: ${stop.detail}`), "");
  for (const table of item.tables ?? []) out.push(...tableBlock(table));
  for (const chart of item.charts ?? []) {
    out.push(
      ...tableBlock({
        caption: `${chart.title} (chart in verify.html)`,
        header: ["row", `median (${chart.unit})`, "min", "max"],
        rows: chart.rows.map((row) => [row.label, formatValue(row.median), formatValue(row.min), formatValue(row.max)]),
      }),
    );
  }
  for (const block of item.code ?? []) out.push(`**${block.caption}**`, "", `\`\`\`${block.language ?? "json"}`, block.text, "```", "");
  if (item.notes?.length) out.push(...item.notes.map((note) => `> ${note}`), "");
  out.push("**Sources**", "", ...item.sources.map((source) => `- ${describeSource(source, now)}`), "");
  return out;
}

export function renderMarkdown(report: VerifyReport): string {
  const now = new Date(report.generatedAt);
  const lines = [
    "# moltlab verify",
    "",
    ...headline(report).flatMap((line) => [line, ""]),
    markdownTable(
      ["#", "item", "question", "verdict", "evidence"],
      report.items.map((item) => [item.id, `[${item.title}](#${anchorOf(item)})`, item.question, VERDICT_MARK[item.verdict], item.summary]),
    ),
    "",
    "Verdicts: **OK** — the criterion holds on the evidence; **OK with constraints** — it holds with the limits named; **NG** — it does not hold; **unverified** — no evidence either way (the section says what would produce it). Charts are in `verify.html`.",
    "",
  ];
  for (const item of report.items) lines.push(...section(item, now));
  return lines.join("\n").replace(/\n{3,}/g, "\n\n");
}

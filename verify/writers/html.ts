/**
 * reports/verify.html: one self-contained page (inline CSS, inline SVG charts, no scripts,
 * no fonts or images fetched), so it reads the same opened from disk or a CI artifact.
 */
import { rangeChartSvg } from "./charts.ts";
import { describeSource } from "../evidence.ts";
import type { ItemResult, Table, Verdict, VerifyReport } from "../types.ts";
import { anchorOf, headline } from "./markdown.ts";
import { escapeHtml } from "../../core/html.ts";

/** `code` and **bold** from the shared prose, after escaping. */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
}

const VERDICT_CLASS: Record<Verdict, string> = { OK: "ok", "OK with constraints": "constrained", NG: "ng", unverified: "unverified" };

function badge(verdict: Verdict): string {
  return `<span class="badge ${VERDICT_CLASS[verdict]}">${escapeHtml(verdict)}</span>`;
}

function table(t: Table): string {
  return [
    `<figure class="table"><figcaption>${inline(t.caption)}</figcaption><div class="scroll"><table>`,
    `<thead><tr>${t.header.map((h) => `<th>${inline(h)}</th>`).join("")}</tr></thead>`,
    `<tbody>${t.rows.map((row) => `<tr>${row.map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`).join("")}</tbody>`,
    `</table></div></figure>`,
  ].join("");
}

function list(items: readonly string[]): string {
  return `<ul>${items.map((item) => `<li>${inline(item)}</li>`).join("")}</ul>`;
}

function section(item: ItemResult, now: Date): string {
  const parts = [
    `<section id="${anchorOf(item)}" class="item ${VERDICT_CLASS[item.verdict]}">`,
    `<h2><span class="id">${escapeHtml(item.id)}</span> ${escapeHtml(item.title)} ${badge(item.verdict)}</h2>`,
    `<dl><dt>Question</dt><dd>${inline(item.question)}</dd><dt>Pass criterion</dt><dd>${inline(item.criterion)}</dd><dt>Verdict</dt><dd>${inline(item.summary)}</dd></dl>`,
  ];
  if (item.stops?.length)
    parts.push(
      `<div class="stop"><strong>Stop criterion hit:</strong> ${item.stops.map((stop) => `${inline(stop.criterion)} — ${inline(stop.detail)}`).join("; ")}</div>`,
    );
  parts.push(`<h3>Evidence</h3>${list(item.evidence)}`);
  for (const chart of item.charts ?? []) parts.push(`<figure class="chart">${rangeChartSvg(chart)}</figure>`);
  for (const t of item.tables ?? []) parts.push(table(t));
  for (const block of item.code ?? [])
    parts.push(`<figure class="code"><figcaption>${inline(block.caption)}</figcaption><pre>${escapeHtml(block.text)}</pre></figure>`);
  if (item.notes?.length) parts.push(`<div class="notes">${list(item.notes)}</div>`);
  parts.push(`<h3>What would change the verdict</h3>${list(item.wouldChange)}`);
  parts.push(
    `<h3>Sources</h3><ul class="sources">${item.sources.map((source) => `<li class="origin-${source.origin.replace(/\s+/g, "-")}">${inline(describeSource(source, now))}</li>`).join("")}</ul>`,
  );
  parts.push(`</section>`);
  return parts.join("\n");
}

const CSS = `
:root { --ok: #1a7f37; --constrained: #9a6700; --ng: #cf222e; --unverified: #6e7781; --line: #d0d7de; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 8px; }
h2 { font-size: 20px; margin: 0 0 12px; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta p { margin: 4px 0; color: #424a53; }
.id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; color: #57606a; font-weight: 600; }
.badge { display: inline-block; padding: 1px 10px; border-radius: 999px; font-size: 13px; font-weight: 600; color: #fff; white-space: nowrap; }
.badge.ok { background: var(--ok); } .badge.constrained { background: var(--constrained); } .badge.ng { background: var(--ng); } .badge.unverified { background: var(--unverified); }
.banner { border-radius: 8px; padding: 12px 16px; margin: 16px 0; border: 1px solid var(--line); background: var(--soft); }
.banner.stop { border-color: var(--ng); background: #ffebe9; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: var(--soft); font-weight: 600; }
.summary td:nth-child(4) { white-space: nowrap; }
.summary td:first-child { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; white-space: nowrap; }
.scroll { overflow-x: auto; }
section.item { border: 1px solid var(--line); border-left: 6px solid var(--unverified); border-radius: 8px; padding: 16px 20px; margin: 22px 0; }
section.item.ok { border-left-color: var(--ok); } section.item.constrained { border-left-color: var(--constrained); } section.item.ng { border-left-color: var(--ng); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
dt { font-weight: 600; color: #424a53; } dd { margin: 0; }
ul { margin: 4px 0; padding-left: 22px; } li { margin: 2px 0; }
figure { margin: 14px 0; } figcaption { font-weight: 600; margin-bottom: 6px; font-size: 14px; }
figure.chart svg { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow-x: auto; font-size: 12.5px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.92em; background: var(--soft); padding: 0 3px; border-radius: 3px; }
.stop { border: 1px solid var(--ng); background: #ffebe9; border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
.notes { color: #424a53; }
.sources li.origin-reused::marker { color: var(--constrained); }
.sources li.origin-missing { color: var(--ng); }
.legend { color: #57606a; font-size: 13.5px; }
a { color: #0969da; }
`;

export function renderHtml(report: VerifyReport): string {
  const now = new Date(report.generatedAt);
  const [machine, mode, stops] = headline(report);
  const summaryRows = report.items.map(
    (item) =>
      `<tr><td>${escapeHtml(item.id)}</td><td><a href="#${anchorOf(item)}">${escapeHtml(item.title)}</a></td><td>${inline(item.question)}</td><td>${badge(item.verdict)}</td><td>${inline(item.summary)}</td></tr>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>moltlab verify — ${escapeHtml(report.generatedAt)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>moltlab verify</h1>
<div class="meta"><p>${inline(machine!)}</p><p>${inline(mode!)}</p></div>
<div class="banner${report.stops.length ? " stop" : ""}">${inline(stops!)}</div>
<table class="summary">
<thead><tr><th>#</th><th>item</th><th>question</th><th>verdict</th><th>evidence</th></tr></thead>
<tbody>
${summaryRows.join("\n")}
</tbody>
</table>
<p class="legend"><strong>OK</strong>: the criterion holds on the evidence. <strong>OK with constraints</strong>: it holds with the limits named. <strong>NG</strong>: it does not hold. <strong>unverified</strong>: no evidence either way; the section says what would produce it. Each section lists its sources and whether they come from this run or an earlier one.</p>
${report.items.map((item) => section(item, now)).join("\n")}
</main>
</body>
</html>
`;
}

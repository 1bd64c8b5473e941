/**
 * The generated reports under reports/ (tools matrix, Docker-in-Docker finding): JSON for
 * machines, Markdown for people, both rewritten by every run of the tests that produce them.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "../../cli/host.ts";

export const REPORTS_DIR = join(ROOT, "reports");

/** Writes `<name>.json` and `<name>.md`; returns their paths. */
export async function writeReport(name: string, json: unknown, markdown: string): Promise<string[]> {
  await mkdir(REPORTS_DIR, { recursive: true });
  const paths = [join(REPORTS_DIR, `${name}.json`), join(REPORTS_DIR, `${name}.md`)];
  await writeFile(paths[0]!, JSON.stringify(json, null, 2) + "\n");
  await writeFile(paths[1]!, markdown.endsWith("\n") ? markdown : markdown + "\n");
  return paths;
}

/** A Markdown table; cells are single-lined and pipes escaped. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (text: string) => text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|").trim() || " ";
  return [header, header.map(() => "---"), ...rows].map((row) => `| ${row.map(cell).join(" | ")} |`).join("\n");
}

/** One line of command output for evidence: the first non-empty lines, shortened. */
export function excerpt(text: string, max = 160): string {
  const flat = text.split("\n").map((line) => line.trim()).filter(Boolean).join(" ⏎ ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

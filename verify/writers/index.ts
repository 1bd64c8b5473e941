/** Writes reports/verify.{md,json,html}; returns their paths. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { VerifyReport } from "../types.ts";
import { renderHtml } from "./html.ts";
import { renderJson } from "./json.ts";
import { renderMarkdown } from "./markdown.ts";

export async function writeVerifyReports(report: VerifyReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    [join(dir, "verify.md"), renderMarkdown(report)],
    [join(dir, "verify.json"), renderJson(report)],
    [join(dir, "verify.html"), renderHtml(report)],
  ];
  for (const [path, text] of files) await writeFile(path, text);
  return files.map(([path]) => path);
}

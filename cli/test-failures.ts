import { relative } from "node:path";
import { stripVTControlCharacters } from "node:util";

/** The parts of vitest's JSON report (`--reporter=json`) that say what failed. */
export interface ReportFile {
  name: string;
  status?: string;
  message?: string;
  assertionResults?: { fullName?: string; title?: string; status?: string; failureMessages?: string[] }[];
}

/** How many failures the summary names; the rest are counted. */
export const SHOWN_FAILURES = 6;
const MESSAGE_CHARS = 160;

/** The first non-empty line of an error, without ANSI colours, cut to a summary line's width. */
export function firstLine(message: string): string {
  // vitest colours its messages with ANSI escapes.
  const line =
    stripVTControlCharacters(message)
      .split("\n")
      .map((part) => part.trim())
      .find((part) => part.length > 0) ?? "";
  return line.length > MESSAGE_CHARS ? `${line.slice(0, MESSAGE_CHARS - 1)}…` : line;
}

/**
 * One line per failed test: "✗ file › test: first line of its error". A file that failed with no
 * failed test in it (an import error, a failing beforeAll or afterAll) gets a line of its own, so
 * the summary at the end of a long run — all CI shows — always says what broke and where.
 */
export function failureLines(files: readonly ReportFile[], root: string): string[] {
  const lines: string[] = [];
  for (const file of files) {
    const path = relative(root, file.name);
    const failed = (file.assertionResults ?? []).filter((test) => test.status === "failed");
    for (const test of failed) {
      const message = firstLine(test.failureMessages?.[0] ?? "");
      lines.push(`✗ ${path} › ${test.fullName ?? test.title ?? "(unnamed test)"}${message ? `: ${message}` : ""}`);
    }
    if (!failed.length && file.status === "failed") lines.push(`✗ ${path}: ${firstLine(file.message ?? "") || "failed outside its tests"}`);
  }
  if (lines.length <= SHOWN_FAILURES) return lines;
  return [...lines.slice(0, SHOWN_FAILURES), `… and ${lines.length - SHOWN_FAILURES} more failures (see the run's output above)`];
}

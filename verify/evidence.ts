/**
 * Evidence files in reports/: read one, and say where it came from and when. Verify never
 * passes an old file off as fresh: a file generated before this run started is "reused",
 * with its age in the report. And the one-line excerpt of command output that evidence
 * quotes, here and in the tests that write the files.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { EvidenceFile } from "./evidence-files.ts";
import type { EvidenceSource, VerifyContext } from "./types.ts";

export interface Evidence<T> {
  source: EvidenceSource;
  /** Absent when the file is missing or unreadable (see `problem`). */
  data?: T;
  problem?: string;
}

/** Reads one evidence file as JSON, of its declared shape; `generatedAt` comes from the file's own field. */
export function readEvidence<T extends { generatedAt?: string }>(
  ctx: Pick<VerifyContext, "reportsDir" | "root" | "runStartedAt">,
  evidence: EvidenceFile<T>,
): Evidence<T> {
  const file = join(ctx.reportsDir, evidence.json);
  const path = relative(ctx.root, file) || file;
  if (!existsSync(file)) return { source: { path, generatedAt: null, origin: "missing" }, problem: `${path} does not exist` };
  let data: T;
  try {
    data = JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (error) {
    return {
      source: { path, generatedAt: null, origin: "missing" },
      problem: `${path} is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  const generatedAt = typeof data.generatedAt === "string" ? data.generatedAt : null;
  return { source: { path, generatedAt, origin: originOf(generatedAt, ctx.runStartedAt) }, data };
}

export function originOf(generatedAt: string | null, runStartedAt: Date): EvidenceSource["origin"] {
  if (generatedAt === null) return "reused";
  return Date.parse(generatedAt) >= runStartedAt.getTime() ? "this run" : "reused";
}

/** "this run", or "reused: generated 2026-11-25 20:02 UTC, 3 h ago". */
export function describeSource(source: EvidenceSource, now: Date = new Date()): string {
  if (source.origin === "missing") return `${source.path}: missing`;
  if (source.origin === "this run") return `${source.path}: this run (${formatTime(source.generatedAt)})`;
  if (source.origin === "reused") {
    return `${source.path}: reused, generated ${formatTime(source.generatedAt)}${source.generatedAt ? ` (${formatAge(now.getTime() - Date.parse(source.generatedAt))} before this report)` : ""}`;
  }
  return `${source.path}: ${source.origin}${source.generatedAt ? ` (${formatTime(source.generatedAt)})` : ""}`;
}

export function formatTime(iso: string | null): string {
  if (!iso) return "at an unknown time";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function formatAge(ms: number): string {
  if (ms < 0) return "in the future";
  const minutes = Math.round(ms / 60_000);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}

/** One line of command output for evidence: the first non-empty lines, shortened. */
export function excerpt(text: string, max = 160): string {
  const flat = text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .join(" ⏎ ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

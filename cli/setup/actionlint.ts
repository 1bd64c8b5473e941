import type { StepContext, StepOutcome } from "../ui.ts";

/** actionlint for the workflow check (placeholder: filled in by the CI-workflow work). */
export async function ensureActionlint(_context: StepContext, _cache: string, _logFile: string): Promise<StepOutcome> {
  return { status: "skip", detail: "not implemented yet" };
}

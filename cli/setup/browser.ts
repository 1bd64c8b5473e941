import type { StepContext, StepOutcome } from "../ui.ts";

/** Chromium for the browser test (placeholder: filled in by the browser-test work). */
export async function ensureBrowser(_context: StepContext, _logFile: string): Promise<StepOutcome> {
  return { status: "skip", detail: "not implemented yet" };
}

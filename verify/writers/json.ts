/** reports/verify.json: the whole report as data (items, evidence, sources, chart rows), for other tools. */
import type { VerifyReport } from "../types.ts";

export const VERIFY_JSON_SCHEMA = 1;

export function renderJson(report: VerifyReport): string {
  return `${JSON.stringify({ schema: VERIFY_JSON_SCHEMA, ...report }, null, 2)}\n`;
}

import { latestUserTexts, type Turn } from "./conversation.ts";
import type { Provider, RequestMatch } from "./types.ts";

/** What scenarios and queued faults are matched against. */
export interface MatchTarget {
  provider: Provider;
  model: string;
  turns: Turn[];
}

export function matches(match: RequestMatch | undefined, target: MatchTarget): boolean {
  if (!match) return true;
  if (match.provider !== undefined && match.provider !== target.provider) return false;
  if (match.model !== undefined && match.model !== target.model) return false;
  const texts = latestUserTexts(target.turns);
  if (match.userText !== undefined) {
    const wanted = match.userText.toLowerCase();
    if (!texts.some((text) => text.toLowerCase().includes(wanted))) return false;
  }
  if (match.userTextPattern !== undefined) {
    const pattern = new RegExp(match.userTextPattern);
    if (!texts.some((text) => pattern.test(text))) return false;
  }
  return true;
}

/** Checks a match object received as JSON; throws a message fit for a 400. */
export function checkMatch(value: unknown, where: string): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${where}.match must be an object`);
  for (const [key, field] of Object.entries(value)) {
    if (!["provider", "model", "userText", "userTextPattern"].includes(key)) throw new Error(`${where}.match.${key} is not a known field`);
    if (typeof field !== "string") throw new Error(`${where}.match.${key} must be a string`);
  }
  const pattern = (value as RequestMatch).userTextPattern;
  if (pattern !== undefined) new RegExp(pattern);
}

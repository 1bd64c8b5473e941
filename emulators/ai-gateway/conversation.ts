/**
 * Reading what a request asks, across API shapes, and sizing what the fake answers.
 * Only what scenarios match on is extracted: the latest user texts and the number of
 * assistant turns so far.
 */

/** Text of a message content: a string, or an array of parts with `text` (text / input_text). */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((part): part is { type?: unknown; text: string } => isRecord(part) && typeof part.text === "string" && part.type !== "tool_result")
    .map((part) => part.text)
    .join("\n");
}

export interface Turn {
  role: string;
  text: string;
}

/**
 * What the user said last: the user texts since the last assistant turn, in order. Usually
 * one, but clients may add their own user message after the person's (OpenClaw appends its
 * runtime context that way), so matching must see all of them. Tool results (no text) are
 * skipped, so a tool loop keeps pointing at the prompt that started it.
 */
export function latestUserTexts(turns: Turn[]): string[] {
  const texts: string[] = [];
  let i = turns.length - 1;
  // Past the trailing tool results (user turns without text) and the assistant turns of a tool loop.
  while (i >= 0 && (turns[i]!.role !== "user" || turns[i]!.text.trim() === "")) i--;
  for (; i >= 0 && turns[i]!.role === "user"; i--) if (turns[i]!.text.trim() !== "") texts.unshift(turns[i]!.text);
  return texts;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A rough, deterministic token count: about four characters a token, at least one. */
export function tokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Splits text into small word-aligned deltas, as models stream it. Joining them gives the text back. */
export function textDeltas(text: string): string[] {
  const words = text.match(/\S+\s*|\s+/g) ?? [];
  const deltas: string[] = [];
  for (let i = 0; i < words.length; i += 2) deltas.push(words.slice(i, i + 2).join(""));
  return deltas;
}

/** Splits a JSON string into fixed-size fragments, so clients must reassemble partial JSON. */
export function jsonFragments(json: string, size = 10): string[] {
  const fragments: string[] = [];
  for (let i = 0; i < json.length; i += size) fragments.push(json.slice(i, i + size));
  return fragments;
}

/**
 * Splits a text/event-stream into whole events as they arrive, keeping every byte (the
 * `event:` line, `data:` lines, the blank line that ends the event), so the events written
 * back one after another are the stream received, byte for byte.
 */
export class SseSplitter {
  #pending = "";

  /** Feeds text; returns the events it completed. */
  push(text: string): string[] {
    this.#pending += text;
    const events: string[] = [];
    for (;;) {
      const end = /\r?\n\r?\n/.exec(this.#pending);
      if (!end) return events;
      const cut = end.index + end[0].length;
      events.push(this.#pending.slice(0, cut));
      this.#pending = this.#pending.slice(cut);
    }
  }

  /** What is left when the stream ends (an unterminated last event), if anything. */
  flush(): string | undefined {
    const rest = this.#pending;
    this.#pending = "";
    return rest === "" ? undefined : rest;
  }
}

/** An event's name: its `event:` field, else the JSON data's `type` or `object`, else `[DONE]`/`message`. */
export function sseEventType(event: string): string {
  const lines = event.split(/\r?\n/);
  const named = lines.find((line) => line.startsWith("event:"));
  if (named) return named.slice(6).trim();
  const data = sseData(event);
  if (data === "[DONE]") return "[DONE]";
  try {
    const parsed = JSON.parse(data) as Record<string, unknown>;
    if (typeof parsed.type === "string") return parsed.type;
    if (typeof parsed.object === "string") return parsed.object;
  } catch {
    // not JSON: an untyped event
  }
  return "message";
}

/** The event's data (multi-line data joined by newlines, as the SSE spec says). */
export function sseData(event: string): string {
  return event
    .split(/\r?\n/)
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).replace(/^ /, ""))
    .join("\n");
}

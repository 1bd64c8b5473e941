/**
 * The reading side of Server-Sent Events, as the platform's events route sends them. Only
 * web streams (no Node imports): it runs inside workerd, which has no EventSource.
 */

/** The `data:` payload of each event of a text/event-stream body, as events complete; cancels the body when the caller stops. */
export async function* eventStreamData(body: NonNullable<Response["body"]>): AsyncIterable<string> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replaceAll("\r\n", "\n");
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trimStart())
          .join("\n");
        if (data) yield data;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** A streamed chat over OpenClaw's OpenAI-compatible endpoint, timed to its first content delta and its end. */
const MINUTES = 60_000;

export interface Streamed {
  firstTokenMs: number;
  totalMs: number;
  text: string;
}

/** POST /v1/chat/completions with stream: true; times the first content delta and the end of the stream. */
export async function streamChat(url: string, headers: Record<string, string>, user: string, text: string): Promise<Streamed> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ model: "openclaw", stream: true, user, messages: [{ role: "user", content: text }] }),
    signal: AbortSignal.timeout(4 * MINUTES),
  });
  if (response.status !== 200) throw new Error(`chat answered ${response.status}: ${(await response.text()).slice(0, 400)}`);
  let firstTokenMs: number | undefined;
  let content = "";
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!line.startsWith("data:") || line === "data: [DONE]") continue;
      const event = JSON.parse(line.slice(5)) as { error?: unknown; choices?: { delta?: { content?: unknown } }[] };
      if (event.error) throw new Error(`the chat stream reported an error: ${JSON.stringify(event.error)}`);
      const delta = event.choices?.[0]?.delta?.content;
      if (typeof delta === "string" && delta) {
        firstTokenMs ??= performance.now() - started;
        content += delta;
      }
    }
  }
  if (firstTokenMs === undefined) throw new Error("the chat stream ended without any content");
  return { firstTokenMs, totalMs: performance.now() - started, text: content };
}

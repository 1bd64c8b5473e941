import { AI_GATEWAY_ORIGIN } from "./handlers.ts";
import { aiGatewayError } from "./gateway-errors.ts";
import type { Rejection } from "./formats/format.ts";
import { keptResponseHeaders, readCassette, writeCassette, type Cassette, type CassetteRequest, type CassetteResponse, type Exchange } from "./cassette.ts";
import { SseSplitter } from "./sse-split.ts";

/**
 * Recording: each model request goes on to the upstream (the real AI Gateway by default), its
 * answer streams back to the client as it arrives, and a second branch of the same body is
 * stored in the cassette with the time each SSE event arrived.
 */

export interface RecordOptions {
  /** The cassette file; created if missing, extended if it exists. */
  to: string;
  /** Origin the gateway paths are forwarded to; default https://gateway.ai.cloudflare.com. */
  upstream?: string;
}

/** moltlab's own internal code on errors it raises in record and replay mode (not one of AI Gateway's). */
export const CASSETTE_ERROR_CODE = 2999;

/** Hop-by-hop and length headers: fetch sets its own. */
const NOT_FORWARDED = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "accept-encoding"]);

/** A cassette file being written: exchanges are appended in the order their answers end, each write atomic. */
export class CassetteWriter {
  readonly file: string;
  readonly cassette: Cassette;
  #writing: Promise<void> = Promise.resolve();
  /** Answers still streaming: their exchange is not appended yet, but flushed() must wait for it. */
  #taping = new Set<Promise<unknown>>();

  private constructor(file: string, cassette: Cassette) {
    this.file = file;
    this.cassette = cassette;
  }

  static async open(file: string): Promise<CassetteWriter> {
    return new CassetteWriter(file, await readCassette(file, { missingIsEmpty: true }));
  }

  append(exchange: Exchange): Promise<void> {
    this.cassette.exchanges.push(exchange);
    this.#writing = this.#writing.then(() => writeCassette(this.file, this.cassette));
    return this.#writing;
  }

  /** Tapes an answer whose body is still arriving; `flushed()` waits for it. */
  track(taping: Promise<unknown>): void {
    this.#taping.add(taping);
    void taping.finally(() => this.#taping.delete(taping));
  }

  /**
   * Resolves when every answer taped so far has ended and is on disk. A client can finish
   * reading before the tape's branch of the same body has, so waiting for the writes alone
   * could miss the last exchange.
   */
  async flushed(): Promise<void> {
    await Promise.allSettled([...this.#taping]);
    await this.#writing;
  }
}

export function upstreamOrigin(upstream: string | undefined): string {
  const origin = (upstream ?? AI_GATEWAY_ORIGIN).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]/.test(origin)) throw new Error(`upstream "${upstream}" is not an http(s) URL; give e.g. --upstream https://gateway.ai.cloudflare.com`);
  return origin;
}

/**
 * Sends the request on to `upstream` with the client's own headers (keys included: they go to the
 * upstream, never to the cassette), returns the upstream's answer as it streams, and appends
 * the whole exchange to the cassette once the body has ended. An unreachable upstream is a 502 in
 * the gateway's error shape.
 */
export async function forward(
  request: Request,
  raw: string,
  upstream: string,
  recorded: CassetteRequest | undefined,
  writer: Pick<CassetteWriter, "append" | "track">,
): Promise<Response> {
  const url = new URL(request.url);
  const headers = new Headers();
  request.headers.forEach((value, name) => {
    if (!NOT_FORWARDED.has(name)) headers.set(name, value);
  });
  const started = performance.now();
  let answer: Response;
  try {
    answer = await fetch(`${upstream}${url.pathname}${url.search}`, { method: request.method, headers, body: raw, signal: request.signal });
  } catch (error) {
    return rejection(
      aiGatewayError(
        502,
        CASSETTE_ERROR_CODE,
        `moltlab record: the upstream ${upstream} did not answer (${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}); check --upstream and the network`,
      ),
    );
  }
  const headersAt = Math.round(performance.now() - started);
  const toClient = new Headers(answer.headers);
  // fetch has already decoded the body; the length and encoding no longer describe it.
  toClient.delete("content-encoding");
  toClient.delete("content-length");
  if (!answer.body) {
    if (recorded)
      writer.track(
        writer.append({ request: recorded, response: { status: answer.status, headersAt, headers: keptResponseHeaders(answer.headers), text: "" } }),
      );
    return new Response(null, { status: answer.status, statusText: answer.statusText, headers: toClient });
  }
  const [client, tape] = answer.body.tee();
  if (recorded) {
    const streamed = (answer.headers.get("content-type") ?? "").includes("text/event-stream");
    writer.track(
      readForTape(tape, streamed, started).then(
        (body) => writer.append({ request: recorded, response: { status: answer.status, headersAt, headers: keptResponseHeaders(answer.headers), ...body } }),
        // A body that broke off (the upstream died mid-answer) is not a recording worth replaying.
        () => undefined,
      ),
    );
  } else {
    void tape.cancel();
  }
  return new Response(client, { status: answer.status, statusText: answer.statusText, headers: toClient });
}

async function readForTape(body: ReadableStream<Uint8Array>, streamed: boolean, started: number): Promise<Pick<CassetteResponse, "events" | "json" | "text">> {
  const decoder = new TextDecoder();
  if (streamed) {
    const splitter = new SseSplitter();
    const events: NonNullable<CassetteResponse["events"]> = [];
    const at = () => Math.round(performance.now() - started);
    for await (const chunk of body) for (const sse of splitter.push(decoder.decode(chunk, { stream: true }))) events.push({ at: at(), sse });
    const rest = splitter.flush() ?? "";
    const tail = rest + decoder.decode();
    if (tail) events.push({ at: at(), sse: tail });
    return { events };
  }
  let text = "";
  for await (const chunk of body) text += decoder.decode(chunk, { stream: true });
  text += decoder.decode();
  try {
    const parsed = JSON.parse(text) as unknown;
    // Stored as JSON only when writing it back gives the same bytes.
    if (JSON.stringify(parsed) === text) return { json: parsed as CassetteResponse["json"] };
  } catch {
    // not JSON: kept as text
  }
  return { text };
}

export function rejection({ status, body, headers }: Rejection): Response {
  return Response.json(body, { status, ...(headers ? { headers } : {}) });
}

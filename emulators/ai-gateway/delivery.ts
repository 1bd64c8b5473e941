import type { Fault } from "./types.ts";

/**
 * Sends a body chunk by chunk (one SSE event per write, as providers flush them) and plays
 * stream faults on it. Errors in the body stream are how a dropped connection is expressed:
 * serveFetch destroys the socket, and MSW's fetch interceptor fails the body read.
 */

/** Resolves after `ms`, or as soon as a signal aborts. Never holds the process open. */
export function wait(ms: number | undefined, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = ms === undefined ? undefined : setTimeout(done, ms);
    timer?.unref();
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** An SSE event whose JSON stops half-way; a JSON body chunk simply loses its second half. */
export function malform(chunk: string): string {
  const data = chunk.indexOf("data: ");
  if (data < 0) return chunk.slice(0, Math.ceil(chunk.length / 2));
  const payload = chunk.slice(data + 6).trimEnd();
  return `${chunk.slice(0, data + 6)}${payload.slice(0, Math.ceil(payload.length / 2))}\n\n`;
}

/** A JSON body as two chunks, so stream faults can strike in the middle of it. */
export function jsonChunks(body: unknown): string[] {
  const text = JSON.stringify(body);
  const half = Math.ceil(text.length / 2);
  return [text.slice(0, half), text.slice(half)];
}

/**
 * A cut waits this long after the last chunk. A fetch body that errors drops the chunks its
 * reader has not taken yet, so bytes and cut arriving together would hide the partial answer
 * a real dying upstream leaves behind.
 */
const CUT_GRACE_MS = 25;

type StreamFault = Extract<Fault, { kind: "stall" | "cut" | "malformed" }>;

export function isStreamFault(fault: Fault | undefined): fault is StreamFault {
  return fault?.kind === "stall" || fault?.kind === "cut" || fault?.kind === "malformed";
}

export interface BodyOptions {
  /** Ends a stall and any wait (client gone, emulator or scope reset, emulator stopped). */
  signal: AbortSignal;
  fault?: StreamFault;
  /** Pause before every chunk after the first: a model's token cadence. */
  intervalMs?: number;
}

export function bodyStream(chunks: string[], { signal, fault, intervalMs }: BodyOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const at = fault ? Math.min(fault.afterChunks ?? 1, chunks.length) : -1;
  let index = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (index === at && fault?.kind === "stall") {
        await wait(undefined, signal);
        controller.error(new Error("moltlab: stalled stream abandoned"));
        return;
      }
      if (index === at && fault?.kind === "cut") {
        if (index > 0) await wait(CUT_GRACE_MS, signal);
        controller.error(new Error("moltlab fault: connection cut mid-stream"));
        return;
      }
      if (index >= chunks.length) {
        controller.close();
        return;
      }
      if (index > 0 && intervalMs) {
        await wait(intervalMs, signal);
        if (signal.aborted) {
          controller.error(new Error("moltlab: stream abandoned"));
          return;
        }
      }
      const chunk = chunks[index]!;
      controller.enqueue(encoder.encode(index === at && fault?.kind === "malformed" ? malform(chunk) : chunk));
      index++;
    },
  });
}

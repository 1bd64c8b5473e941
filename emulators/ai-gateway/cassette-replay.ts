import { isDeepStrictEqual } from "node:util";
import type { Rejection } from "./formats/format.ts";
import { wait } from "./delivery.ts";
import { aiGatewayError } from "./gateway-errors.ts";
import { CASSETTE_ERROR_CODE } from "./cassette-record.ts";
import type { Cassette, CassetteRequest, CassetteResponse } from "./cassette.ts";

/**
 * Replay: answers from a cassette, offline. A request matches a recorded exchange when, in this
 * order, its provider path, model, `stream`, messages and tools are equal (deep JSON equality,
 * after the same redaction recording applies, clock readings in messages masked). Parameters (max_tokens, temperature, system, …),
 * headers, account and gateway are not compared. Several recordings of the same request answer
 * in the order they were recorded; past the last, the last repeats.
 */

export type Timing = "as-recorded" | "fast";

export interface ReplayOptions {
  file: string;
  /** `as-recorded` (default): first-token delay and event cadence as recorded, times `timingScale`; `fast`: no waiting. */
  timing?: Timing;
  /** Multiplies recorded delays (0.5 = twice as fast). Default 1. */
  timingScale?: number;
  /** On a miss, forward to `upstream` and add the exchange to the cassette instead of refusing. */
  recordOnMiss?: boolean;
  upstream?: string;
}

const COMPARED = ["path", "model", "stream", "messages", "tools"] as const;

export interface Difference {
  /** Where the two first differ, e.g. `messages[1].content`. */
  where: string;
  recorded: unknown;
  got: unknown;
}

/** What a clock reading in a message becomes before matching. */
export const TIME_MASK = "<time>";
const WEEKDAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? ";
const MONTH = "(?:January|February|March|April|May|June|July|August|September|October|November|December)";
/**
 * Clock readings as agents write them into messages, longest form first: ISO 8601 and
 * `Sun 2026-12-06 03:38:12 UTC` (with seconds, fraction, `T`, `Z`, an offset or a zone
 * abbreviation, an optional weekday), `Sunday, December 6th, 2026 - 3:38 AM`, and a bare
 * `2026-12-06`.
 */
const CLOCK_READING = new RegExp(
  [
    `(?:${WEEKDAY})?\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?(?:Z|[+-]\\d{2}:?\\d{2}| ?(?:UTC|GMT)(?:[+-]\\d{1,2}(?::?\\d{2})?)?| [A-Z]{3,5}\\b)?`,
    `${WEEKDAY}${MONTH} \\d{1,2}(?:st|nd|rd|th)?, \\d{4}(?: (?:-|at) \\d{1,2}:\\d{2}(?: ?[AP]M)?)?`,
    "\\b\\d{4}-\\d{2}-\\d{2}\\b",
  ].join("|"),
  "g",
);

/**
 * Messages as matching sees them: every clock reading in every string replaced by `<time>`.
 * An agent may stamp the time into the conversation it sends (OpenClaw, from its source: a user
 * message's envelope when envelope timestamps are on, the "Conversation info" block of channels
 * other than webchat, cron `Current time:` lines), so such a conversation replayed a minute or a
 * day later differs from its recording only there. (A webchat turn through the Worker was
 * observed to send identical messages: see tests/integration/cassette-openclaw.test.ts.)
 */
export function maskClockReadings(value: unknown): unknown {
  if (typeof value === "string") return value.replace(CLOCK_READING, TIME_MASK);
  if (Array.isArray(value)) return value.map(maskClockReadings);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, maskClockReadings(field)]));
  return value;
}

/** The compared fields of a request as matching sees them (messages with their clock readings masked). */
function compared(request: CassetteRequest, field: (typeof COMPARED)[number]): unknown {
  return field === "messages" ? maskClockReadings(request.messages) : request[field];
}

/** The first difference between a recorded request and an incoming one, in matching order; undefined when they match. */
export function firstDifference(recorded: CassetteRequest, got: CassetteRequest): Difference | undefined {
  for (const field of COMPARED) {
    const difference = diff(compared(recorded, field), compared(got, field), field);
    if (difference) return difference;
  }
  return undefined;
}

function diff(recorded: unknown, got: unknown, where: string): Difference | undefined {
  if (isDeepStrictEqual(recorded, got)) return undefined;
  if (Array.isArray(recorded) && Array.isArray(got)) {
    for (let i = 0; i < Math.max(recorded.length, got.length); i++) {
      const inner = diff(recorded[i], got[i], `${where}[${i}]`);
      if (inner) return inner;
    }
  }
  if (isObject(recorded) && isObject(got)) {
    for (const key of new Set([...Object.keys(recorded), ...Object.keys(got)])) {
      const inner = diff(recorded[key], got[key], `${where}.${key}`);
      if (inner) return inner;
    }
  }
  return { where, recorded, got };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * How far a recorded request gets before it differs, compared as a tuple: more compared fields
 * equal, then more leading messages equal, then a longer common start of the first differing value.
 */
function closeness(recorded: CassetteRequest, got: CassetteRequest): number[] {
  const index = COMPARED.findIndex((field) => !isDeepStrictEqual(compared(recorded, field), compared(got, field)));
  if (index < 0) return [COMPARED.length, 0, 0];
  const field = COMPARED[index]!;
  const mine = compared(recorded, field);
  const theirs = compared(got, field);
  let leading = 0;
  if (Array.isArray(mine) && Array.isArray(theirs)) while (leading < mine.length && isDeepStrictEqual(mine[leading], theirs[leading])) leading++;
  const a = JSON.stringify(Array.isArray(mine) ? mine[leading] : mine) ?? "";
  const b = JSON.stringify(Array.isArray(theirs) ? theirs[leading] : theirs) ?? "";
  let common = 0;
  while (common < a.length && a[common] === b[common]) common++;
  return [index, leading, common];
}

function closer(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}

const show = (value: unknown) => {
  const text = value === undefined ? "(absent)" : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
};

/** The exchanges of one cassette, and which of them each request has already used. */
export class CassettePlayer {
  readonly file: string;
  readonly cassette: Cassette;
  readonly options: ReplayOptions;
  #used = new Map<number, number>();

  constructor(cassette: Cassette, options: ReplayOptions) {
    this.file = options.file;
    this.cassette = cassette;
    this.options = options;
  }

  /** The recorded response for a request, or the miss in the gateway's error shape naming the closest recording. */
  find(request: CassetteRequest): { response: CassetteResponse; index: number } | { miss: Rejection } {
    const exchanges = this.cassette.exchanges;
    const matching = exchanges.flatMap((exchange, index) => (firstDifference(exchange.request, request) ? [] : [index]));
    if (matching.length) {
      const key = matching[0]!;
      const turn = this.#used.get(key) ?? 0;
      this.#used.set(key, turn + 1);
      const index = matching[Math.min(turn, matching.length - 1)]!;
      return { response: exchanges[index]!.response, index };
    }
    return { miss: this.#miss(request) };
  }

  /** Back to the first recording of each request. */
  rewind(): void {
    this.#used.clear();
  }

  #miss(request: CassetteRequest): Rejection {
    const asked = `POST ${request.path} model ${JSON.stringify(request.model)}${request.stream ? " (stream)" : ""}`;
    const fix = `record it: run with --record-on-miss --upstream <url> (startAiGateway({cassette: {file, recordOnMiss: true, upstream}})), or re-record the cassette with \`moltlab record --to ${this.file}\``;
    let best = -1;
    let bestScore = [-1];
    for (const [index, exchange] of this.cassette.exchanges.entries()) {
      const score = closeness(exchange.request, request);
      if (closer(score, bestScore)) {
        best = index;
        bestScore = score;
      }
    }
    const closest = this.cassette.exchanges[best];
    const detail = closest
      ? `closest recording: exchange ${best} (POST ${closest.request.path} model ${JSON.stringify(closest.request.model)}); first difference at ${(() => {
          const difference = firstDifference(closest.request, request)!;
          return `${difference.where}: recorded ${show(difference.recorded)}, got ${show(difference.got)}`;
        })()}`
      : "the cassette holds no exchanges";
    return aiGatewayError(404, CASSETTE_ERROR_CODE, `moltlab cassette ${this.file}: no recorded exchange matches ${asked}; ${detail}. Fix: ${fix}`);
  }
}

/**
 * A recorded response played back: headers after the recorded delay, each SSE event at its
 * recorded offset (times the scale), or all at once with `fast`.
 */
export async function playResponse(
  recorded: CassetteResponse,
  extraHeaders: Record<string, string>,
  options: ReplayOptions,
  signal: AbortSignal,
): Promise<Response> {
  const scale = options.timing === "fast" ? 0 : (options.timingScale ?? 1);
  const started = performance.now();
  if (scale > 0 && recorded.headersAt > 0) await wait(recorded.headersAt * scale, signal);
  const headers = { ...recorded.headers, ...extraHeaders };
  if (!recorded.events) {
    const body = recorded.json !== undefined ? JSON.stringify(recorded.json) : (recorded.text ?? "");
    return new Response(body === "" ? null : body, { status: recorded.status, headers });
  }
  const encoder = new TextEncoder();
  const events = recorded.events;
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const event = events[index++];
      if (!event) return controller.close();
      const due = started + event.at * scale - performance.now();
      if (due > 0) await wait(due, signal);
      if (signal.aborted) return controller.error(new Error("moltlab: replay abandoned"));
      controller.enqueue(encoder.encode(event.sse));
    },
  });
  return new Response(body, { status: recorded.status, headers });
}

/**
 * The data a test writes (scenarios, faults) and reads (the request log). Everything here is
 * plain JSON so the same values travel over the control API to a standalone emulator.
 */

/** The provider segment of a gateway URL: `/v1/{account}/{gateway}/{provider}/…`. */
export type Provider = "anthropic" | "openai" | "workers-ai" | "compat";

/** A tool/function call the fake model makes. `id` defaults to a deterministic one. */
export interface ToolCall {
  name: string;
  input: Record<string, unknown>;
  id?: string;
}

/** What the fake model answers: text, tool calls, or both (text first, as models do). */
export interface Reply {
  text?: string;
  toolCalls?: ToolCall[];
  /** Override the computed token counts. */
  usage?: { input?: number; output?: number };
}

/**
 * Which requests something applies to. All given fields must hold; an empty match holds for all.
 * `userText` is a case-insensitive substring of one of the latest user texts: the user messages
 * since the last assistant turn (a client such as OpenClaw may append its own context as a
 * separate user message after the person's; tool results are not user text, so a tool loop
 * keeps matching the prompt that started it).
 */
export interface RequestMatch {
  provider?: Provider;
  /** Exact model id as sent (compat: `provider/model`). */
  model?: string;
  userText?: string;
  /** A JavaScript regular expression source, tested against each of the latest user texts. */
  userTextPattern?: string;
}

/**
 * A scripted behaviour. The first scenario whose `match` holds wins.
 * - `reply`: the answer for every matching request.
 * - `turns`: a multi-turn script; the reply is chosen by how many assistant turns the request's
 *   conversation already holds (0 → turns[0], …; past the end the last one repeats). Keyed on
 *   the conversation rather than a counter, so retries and parallel tests stay deterministic.
 * - `fault`: applied to every matching request (instead of, or before, the reply).
 */
export interface Scenario {
  name?: string;
  match?: RequestMatch;
  reply?: Reply;
  turns?: Reply[];
  fault?: Fault;
}

/**
 * A failure to inject.
 * - `status`: an error response in the provider's own shape (429 carries `retry-after`).
 * - `slow-first-byte`: wait `delayMs` before the response headers.
 * - `stall`: send `afterChunks` chunks (SSE events; a JSON body counts as two halves), then
 *   nothing more while keeping the connection open.
 * - `cut`: send `afterChunks` chunks, then drop the connection.
 * - `malformed`: chunk number `afterChunks` arrives with truncated JSON, the rest follows.
 * - `reset`: reset the connection before any byte.
 */
export type Fault =
  | { kind: "status"; status: number; retryAfter?: number; message?: string }
  | { kind: "slow-first-byte"; delayMs: number }
  | { kind: "stall"; afterChunks?: number }
  | { kind: "cut"; afterChunks?: number }
  | { kind: "malformed"; afterChunks?: number }
  | { kind: "reset" };

/** A queued fault: used by the next `times` (default 1) matching requests. */
export type FaultRule = Fault & { times?: number | "always"; match?: RequestMatch };

/** One request as the emulator saw it. Secret headers are masked (see request-log.ts). */
export interface LoggedRequest {
  id: number;
  /** The gateway log id, also sent back as `cf-aig-log-id`. */
  logId: string;
  time: string;
  method: string;
  path: string;
  account?: string;
  gateway?: string;
  provider?: Provider;
  model?: string;
  stream: boolean;
  headers: Record<string, string>;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  status?: number;
  cache?: "HIT" | "MISS";
  fault?: Fault["kind"];
  scenario?: string;
}

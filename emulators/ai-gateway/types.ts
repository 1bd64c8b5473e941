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
  /** Delay before the response headers, for every matching request (overrides the settings). */
  latencyMs?: number;
  /** Delay between SSE events of a streamed answer: the model's token cadence (overrides the settings). */
  chunkIntervalMs?: number;
}

/**
 * A failure to inject.
 * - `status`: an error response in the provider's own shape. A 429 carries `retry-after` and the
 *   provider's rate-limit headers (Anthropic `anthropic-ratelimit-*`, OpenAI `x-ratelimit-*`).
 * - `gateway-error`: an error raised by AI Gateway itself, in its own envelope (see gateway-errors.ts).
 * - `slow-first-byte`: wait `delayMs` before the response headers.
 * - `slow`: answer normally, but wait `latencyMs` before the headers and `chunkIntervalMs` between events.
 * - `stall`: send `afterChunks` chunks (SSE events; a JSON body counts as two halves), then
 *   nothing more while keeping the connection open.
 * - `cut`: send `afterChunks` chunks, then drop the connection.
 * - `malformed`: chunk number `afterChunks` arrives with truncated JSON, the rest follows.
 * - `reset`: reset the connection before any byte.
 *
 * `probability` (0..1, default 1): the chance the fault strikes a request it applies to, drawn
 * from the gateway's seeded generator, so a run with the same seed replays exactly.
 */
export type Fault = (
  | { kind: "status"; status: number; retryAfter?: number; message?: string; rateLimit?: RateLimitWindows }
  | { kind: "gateway-error"; error: GatewayErrorName }
  | { kind: "slow-first-byte"; delayMs: number }
  | { kind: "slow"; latencyMs?: number; chunkIntervalMs?: number }
  | { kind: "stall"; afterChunks?: number }
  | { kind: "cut"; afterChunks?: number }
  | { kind: "malformed"; afterChunks?: number }
  | { kind: "reset" }
) & { probability?: number };

/** AI Gateway's own errors a fault can raise; see gateway-errors.ts for codes and bodies. */
export type GatewayErrorName = "unauthorized" | "rate-limited" | "insufficient-credits" | "spend-limit" | "missing-provider-key";

/** A queued fault: used by the next `times` (default 1) matching requests. */
export type FaultRule = Fault & { times?: number | "always"; match?: RequestMatch };

/**
 * One rate-limit window as providers report it: the limit, what is left, and seconds until it
 * resets. Anthropic sends the reset as an RFC 3339 time, OpenAI as a duration ("1s", "6m0s").
 */
export interface RateLimitWindow {
  limit: number;
  remaining?: number;
  resetSeconds?: number;
}

/** Anthropic reports all four windows; OpenAI only `requests` and `tokens`. */
export interface RateLimitWindows {
  requests?: RateLimitWindow;
  tokens?: RateLimitWindow;
  inputTokens?: RateLimitWindow;
  outputTokens?: RateLimitWindow;
}

/**
 * Behaviour of the whole gateway, or of one scope (a scope's settings override the gateway's
 * field by field). Plain JSON, set at start, by `configure()` or `POST /__moltlab/settings`.
 */
export interface GatewaySettings {
  /** Seed of the generator behind fault `probability`; `configure({seed})` restarts it. */
  seed?: number;
  /** Delay before the response headers of every model answer. */
  latencyMs?: number;
  /** Delay between SSE events of streamed answers. */
  chunkIntervalMs?: number;
  /** When set, successful answers carry the provider's rate-limit headers with these values. */
  rateLimit?: RateLimitWindows;
  /** AI Gateway's own rate limiting: at most `limit` requests per `periodSeconds`, then 429 (code 2003). */
  gatewayRateLimit?: { limit: number; periodSeconds: number; technique?: "fixed" | "sliding" };
  /** Provider keys stored on the gateway (BYOK), by provider, as alias names ("default" is used unless `cf-aig-byok-alias` names another). */
  byok?: Partial<Record<Provider, string[]>>;
  /** Unified Billing: whether the account has credits for keyless requests on an authenticated gateway. */
  unifiedBillingCredits?: boolean;
  /** "Require provider credentials" (`byok_only`): keyless requests without a stored key are refused instead of billed. */
  requireProviderCredentials?: boolean;
}

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
  /** The `x-moltlab-scope` the request carried; unscoped requests have none. */
  scope?: string;
  /** Whose provider key the gateway used: the request's own, a stored BYOK key, or Unified Billing. */
  keySource?: "request" | "byok" | "unified-billing";
}

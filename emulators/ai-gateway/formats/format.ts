import type { Turn } from "../conversation.ts";
import type { Reply } from "../types.ts";

/** A request, reduced to what the fake needs to answer it. */
export interface ChatRequest {
  model: string;
  stream: boolean;
  turns: Turn[];
  assistantTurns: number;
  body: Record<string, unknown>;
  /** Responses API: the conversation continues the one of this earlier response. */
  previousResponseId?: string;
}

/** A refusal in the wire shape of whoever refuses (provider or gateway). */
export interface Rejection {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface RenderContext {
  model: string;
  request: ChatRequest;
  inputTokens: number;
  /** The id of this response (message, completion, response), prefixed with the format's `idPrefix`. */
  responseId: string;
  /** A fresh deterministic id with the given prefix, e.g. `msg_` → `msg_moltlab000001`. */
  id(prefix: string): string;
}

/**
 * One API's wire shape (Anthropic Messages, OpenAI Chat Completions, OpenAI Responses,
 * Workers AI run): how it authenticates, validates, answers and fails.
 */
export interface WireFormat {
  /** Provider credentials and required headers; undefined when the request may proceed. */
  checkHeaders(headers: Headers): Rejection | undefined;
  /** The provider's answer to a body that is not JSON. */
  malformedJson(): Rejection;
  parse(body: unknown): ChatRequest | Rejection;
  /** The non-streaming body. */
  json(reply: Reply, ctx: RenderContext): unknown;
  /** The streaming body, one complete SSE event per chunk. */
  events(reply: Reply, ctx: RenderContext): string[];
  /** An error with this status in the provider's own shape. */
  error(status: number, message?: string): Rejection;
  /** Prefix of response ids: `msg_`, `chatcmpl-`, `resp_`. */
  idPrefix: string;
  /** Name of the provider's request id response header, if it has one. */
  requestIdHeader?: string;
}

export function isRejection(value: ChatRequest | Rejection): value is Rejection {
  return "status" in value;
}

/** One SSE event as providers write it: optional `event:` line, one `data:` line, blank line. */
export function sseEvent(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

export function outputTokens(reply: Reply): number {
  if (reply.usage?.output !== undefined) return reply.usage.output;
  const text = (reply.text ?? "") + (reply.toolCalls ?? []).map((call) => call.name + JSON.stringify(call.input)).join("");
  return Math.max(1, Math.ceil(text.length / 4));
}

export function inputTokens(reply: Reply, ctx: RenderContext): number {
  return reply.usage?.input ?? ctx.inputTokens;
}

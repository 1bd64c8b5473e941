import { contentText, isRecord, jsonFragments, textDeltas } from "../conversation.ts";
import type { Reply } from "../types.ts";
import { inputTokens, outputTokens, sseEvent, type ChatRequest, type Rejection, type RenderContext, type WireFormat } from "./format.ts";

/**
 * Anthropic Messages API (`POST …/anthropic/v1/messages`), as documented at
 * docs.anthropic.com/en/api/messages and /en/api/messages-streaming.
 */

/** Error `type` by status, from Anthropic's error reference. */
const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  503: "overloaded_error",
  529: "overloaded_error",
};

const DEFAULT_MESSAGES: Record<string, string> = {
  invalid_request_error: "Invalid request",
  authentication_error: "invalid x-api-key",
  permission_error: "Your API key does not have permission to use the specified resource.",
  not_found_error: "Not Found",
  request_too_large: "Request exceeds the maximum allowed number of bytes.",
  rate_limit_error: "Number of request tokens has exceeded your per-minute rate limit",
  api_error: "Internal server error",
  overloaded_error: "Overloaded",
};

/** `{type:"error", error:{type, message}}`; recent API versions add a top-level request_id. */
function anthropicError(status: number, message?: string): Rejection {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  return { status, body: { type: "error", error: { type, message: message ?? DEFAULT_MESSAGES[type] ?? "Error" } } };
}

function parse(body: unknown): ChatRequest | Rejection {
  if (!isRecord(body)) return anthropicError(400, "Input should be a valid dictionary");
  // Anthropic names the first missing required field, pydantic style.
  for (const field of ["model", "max_tokens", "messages"]) {
    if (body[field] === undefined) return anthropicError(400, `${field}: Field required`);
  }
  if (typeof body.model !== "string") return anthropicError(400, "model: Input should be a valid string");
  if (!Array.isArray(body.messages)) return anthropicError(400, "messages: Input should be a valid list");
  const turns = body.messages.filter(isRecord).map((message) => ({ role: String(message.role), text: contentText(message.content) }));
  return {
    model: body.model,
    stream: body.stream === true,
    turns,
    assistantTurns: turns.filter((turn) => turn.role === "assistant").length,
    body,
  };
}

interface Block {
  type: "text" | "tool_use";
  text?: string;
  id?: string;
  name?: string;
  input?: Record<string, unknown>;
}

function blocks(reply: Reply, ctx: RenderContext): Block[] {
  const result: Block[] = [];
  if (reply.text !== undefined || !reply.toolCalls?.length) result.push({ type: "text", text: reply.text ?? "" });
  for (const call of reply.toolCalls ?? []) result.push({ type: "tool_use", id: call.id ?? ctx.id("toolu_"), name: call.name, input: call.input });
  return result;
}

function stopReason(reply: Reply): string {
  return reply.toolCalls?.length ? "tool_use" : "end_turn";
}

function usage(input: number, output: number) {
  return { input_tokens: input, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: output };
}

export const anthropicMessages: WireFormat = {
  idPrefix: "msg_",
  requestIdHeader: "request-id",

  checkHeaders(headers) {
    // Anthropic checks the key before anything else. An OAuth bearer token is the other accepted credential.
    if (!headers.get("x-api-key") && !headers.get("authorization")) return anthropicError(401, "x-api-key header is required");
    if (!headers.get("anthropic-version")) return anthropicError(400, "anthropic-version: header is required");
    return undefined;
  },

  // Best knowledge: a body that is not JSON is a 400 invalid_request_error.
  malformedJson: () => anthropicError(400, "There was an error parsing the body of your request: invalid JSON"),

  parse,
  error: anthropicError,

  json(reply, ctx) {
    return {
      id: ctx.responseId,
      type: "message",
      role: "assistant",
      model: ctx.model,
      content: blocks(reply, ctx),
      stop_reason: stopReason(reply),
      stop_sequence: null,
      usage: usage(inputTokens(reply, ctx), outputTokens(reply)),
    };
  },

  events(reply, ctx) {
    const events: string[] = [];
    const emit = (type: string, data: Record<string, unknown>) => events.push(sseEvent({ type, ...data }, type));
    emit("message_start", {
      message: {
        id: ctx.responseId,
        type: "message",
        role: "assistant",
        model: ctx.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usage(inputTokens(reply, ctx), 1),
      },
    });
    blocks(reply, ctx).forEach((block, index) => {
      if (block.type === "text") {
        emit("content_block_start", { index, content_block: { type: "text", text: "" } });
        // The API sends pings at arbitrary points; one after the first block start is typical.
        if (index === 0) emit("ping", {});
        for (const text of textDeltas(block.text ?? "")) emit("content_block_delta", { index, delta: { type: "text_delta", text } });
      } else {
        emit("content_block_start", { index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } });
        if (index === 0) emit("ping", {});
        // The input arrives as partial JSON strings, starting with an empty one.
        for (const partial_json of ["", ...jsonFragments(JSON.stringify(block.input))]) {
          emit("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } });
        }
      }
      emit("content_block_stop", { index });
    });
    emit("message_delta", { delta: { stop_reason: stopReason(reply), stop_sequence: null }, usage: { output_tokens: outputTokens(reply) } });
    emit("message_stop", {});
    return events;
  },
};

import { contentText, isRecord, textDeltas } from "../conversation.ts";
import { inputTokens, outputTokens, sseEvent, type ChatRequest, type Rejection, type WireFormat } from "./format.ts";

/**
 * Workers AI's native run API (`…/workers-ai/@cf/<vendor>/<model>`): Cloudflare's v4 envelope
 * `{result, success, errors, messages}`; streaming is `data: {"response": "…"}` lines then `[DONE]`.
 * The model comes from the path, so the pipeline fills it in (see handlers.ts).
 */

/**
 * Cloudflare API v4 error envelope. Codes from developers.cloudflare.com/workers-ai/platform/errors/
 * (3006 too large, 3007 timeout, 3023 account blocked, 3040 out of capacity, 3042 invalid model id);
 * 10000 is the API's authentication error; 5006 (bad input) is observed; the 500's code is a guess.
 * A 429 is Workers AI's "Out of capacity"; `message` can name "Account limited" (3036) instead.
 */
function workersAiError(status: number, message?: string): Rejection {
  const known: Record<number, [number, string]> = {
    400: [5006, "Bad input"],
    401: [10000, "Authentication error"],
    403: [3023, "Service unavailable for account"],
    404: [3042, "The model name is invalid"],
    408: [3007, "Request timeout"],
    413: [3006, "Request is too large"],
    429: [3040, "No more data centers to forward the request to"],
    500: [5000, "Internal server error"],
    503: [3040, "No more data centers to forward the request to"],
  };
  const [code, fallback] = known[status] ?? [status >= 500 ? 5000 : 5006, "Error"];
  const limited = status === 429 && message !== undefined && /daily free allocation|neurons/i.test(message);
  return { status, body: { success: false, errors: [{ code: limited ? 3036 : code, message: message ?? fallback }], messages: [], result: null } };
}

function parse(body: unknown): ChatRequest | Rejection {
  if (!isRecord(body)) return workersAiError(400, "Bad input: expected an object");
  const turns =
    typeof body.prompt === "string"
      ? [{ role: "user", text: body.prompt }]
      : Array.isArray(body.messages)
        ? body.messages.filter(isRecord).map((message) => ({ role: String(message.role), text: contentText(message.content) }))
        : undefined;
  if (!turns) return workersAiError(400, "Bad input: must have required property 'prompt' or 'messages'");
  return { model: "", stream: body.stream === true, turns, assistantTurns: turns.filter((turn) => turn.role === "assistant").length, body };
}

export const workersAiRun: WireFormat = {
  idPrefix: "",
  checkHeaders(headers) {
    return /^Bearer\s+\S/i.test(headers.get("authorization") ?? "") ? undefined : workersAiError(401);
  },
  malformedJson: () => workersAiError(400, "Bad input: could not parse JSON body"),
  parse,
  error: workersAiError,

  json(reply, ctx) {
    const input = inputTokens(reply, ctx);
    const output = outputTokens(reply);
    return {
      result: {
        response: reply.text ?? (reply.toolCalls?.length ? null : ""),
        ...(reply.toolCalls?.length ? { tool_calls: reply.toolCalls.map((call) => ({ name: call.name, arguments: call.input })) } : {}),
        usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
      },
      success: true,
      errors: [],
      messages: [],
    };
  },

  events(reply, ctx) {
    const input = inputTokens(reply, ctx);
    const output = outputTokens(reply);
    return [
      ...textDeltas(reply.text ?? "").map((response) => sseEvent({ response, p: "abcdefghij" })),
      ...(reply.toolCalls?.length ? [sseEvent({ response: "", tool_calls: reply.toolCalls.map((call) => ({ name: call.name, arguments: call.input })) })] : []),
      sseEvent({ response: "", usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output } }),
      sseEvent("[DONE]"),
    ];
  },
};

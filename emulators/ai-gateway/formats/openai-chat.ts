import { contentText, isRecord, jsonFragments, textDeltas } from "../conversation.ts";
import type { Reply } from "../types.ts";
import { inputTokens, outputTokens, sseEvent, type ChatRequest, type Rejection, type RenderContext, type WireFormat } from "./format.ts";
import { missingParameter, openaiError, openaiWireBasics, unixSeconds } from "./openai-common.ts";

/**
 * OpenAI Chat Completions (`…/openai/chat/completions`), also spoken by the gateway's
 * `compat/chat/completions` and Workers AI's `workers-ai/v1/chat/completions`.
 */

function parse(body: unknown): ChatRequest | Rejection {
  if (!isRecord(body)) return openaiError(400, "Invalid type for request body: expected an object.");
  if (typeof body.model !== "string") return openaiError(400, "you must provide a model parameter");
  if (!Array.isArray(body.messages)) return missingParameter("messages");
  const turns = body.messages.filter(isRecord).map((message) => ({ role: String(message.role), text: contentText(message.content) }));
  return { model: body.model, stream: body.stream === true, turns, assistantTurns: turns.filter((turn) => turn.role === "assistant").length, body };
}

function toolCalls(reply: Reply, ctx: RenderContext) {
  return (reply.toolCalls ?? []).map((call) => ({
    id: call.id ?? ctx.id("call_"),
    type: "function" as const,
    name: call.name,
    arguments: JSON.stringify(call.input),
  }));
}

function finishReason(reply: Reply): string {
  return reply.toolCalls?.length ? "tool_calls" : "stop";
}

function usage(reply: Reply, ctx: RenderContext) {
  const prompt = inputTokens(reply, ctx);
  const completion = outputTokens(reply);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

const FINGERPRINT = "fp_moltlab";

export const openaiChat: WireFormat = {
  ...openaiWireBasics,
  idPrefix: "chatcmpl-",
  parse,

  json(reply, ctx) {
    const calls = toolCalls(reply, ctx);
    return {
      id: ctx.responseId,
      object: "chat.completion",
      created: unixSeconds(),
      model: ctx.model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            // With only tool calls, content is null.
            content: reply.text ?? (calls.length ? null : ""),
            refusal: null,
            annotations: [],
            ...(calls.length ? { tool_calls: calls.map(({ id, type, name, arguments: args }) => ({ id, type, function: { name, arguments: args } })) } : {}),
          },
          logprobs: null,
          finish_reason: finishReason(reply),
        },
      ],
      usage: usage(reply, ctx),
      service_tier: "default",
      system_fingerprint: FINGERPRINT,
    };
  },

  events(reply, ctx) {
    const id = ctx.responseId;
    const created = unixSeconds();
    const streamOptions = ctx.request.body.stream_options;
    const includeUsage = isRecord(streamOptions) && streamOptions.include_usage === true;
    /** A chat.completion.chunk event: the fields every chunk shares, then `fields`. */
    const frame = (fields: Record<string, unknown>) =>
      sseEvent({ id, object: "chat.completion.chunk", created, model: ctx.model, service_tier: "default", system_fingerprint: FINGERPRINT, ...fields });
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      frame({
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        // With include_usage every chunk carries usage: null, and one extra chunk carries the totals.
        ...(includeUsage ? { usage: null } : {}),
      });
    const calls = toolCalls(reply, ctx);
    const events: string[] = [];
    if (reply.text !== undefined || !calls.length) {
      events.push(chunk({ role: "assistant", content: "", refusal: null }));
      for (const content of textDeltas(reply.text ?? "")) events.push(chunk({ content }));
    }
    calls.forEach((call, index) => {
      const first = { index, id: call.id, type: "function", function: { name: call.name, arguments: "" } };
      events.push(chunk(index === 0 && events.length === 0 ? { role: "assistant", content: null, tool_calls: [first] } : { tool_calls: [first] }));
      for (const fragment of jsonFragments(call.arguments)) events.push(chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }));
    });
    events.push(chunk({}, finishReason(reply)));
    if (includeUsage) events.push(frame({ choices: [], usage: usage(reply, ctx) }));
    events.push(sseEvent("[DONE]"));
    return events;
  },
};

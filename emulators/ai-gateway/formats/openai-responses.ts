import { contentText, isRecord, jsonFragments, textDeltas, type Turn } from "../conversation.ts";
import type { Reply } from "../types.ts";
import { inputTokens, outputTokens, sseEvent, type ChatRequest, type Rejection, type RenderContext, type WireFormat } from "./format.ts";
import { missingParameter, openaiError, openaiWireBasics, unixSeconds } from "./openai-common.ts";

/** OpenAI Responses API (`…/openai/responses`), streaming events as documented for `stream: true`. */

/** `input` is a string or a list of items; function calls and assistant messages are the model's turns. */
function inputTurns(input: unknown): Turn[] {
  if (typeof input === "string") return [{ role: "user", text: input }];
  if (!Array.isArray(input)) return [];
  return input.filter(isRecord).map((item) => {
    if (item.type === "function_call") return { role: "assistant", text: "" };
    if (item.type === "function_call_output") return { role: "tool", text: "" };
    return { role: String(item.role ?? "user"), text: contentText(item.content) };
  });
}

/** One model response can yield several output items (text, then calls): count runs, not items. */
function countAssistantTurns(turns: Turn[]): number {
  return turns.filter((turn, i) => turn.role === "assistant" && turns[i - 1]?.role !== "assistant").length;
}

function parse(body: unknown): ChatRequest | Rejection {
  if (!isRecord(body)) return openaiError(400, "Invalid type for request body: expected an object.");
  if (typeof body.model !== "string") return missingParameter("model");
  const turns = inputTurns(body.input);
  return {
    model: body.model,
    stream: body.stream === true,
    turns,
    assistantTurns: countAssistantTurns(turns),
    body,
    ...(typeof body.previous_response_id === "string" ? { previousResponseId: body.previous_response_id } : {}),
  };
}

type OutputItem =
  | { id: string; type: "message"; status: string; role: "assistant"; content: Array<{ type: "output_text"; annotations: []; logprobs: []; text: string }> }
  | { id: string; type: "function_call"; status: string; call_id: string; name: string; arguments: string };

function outputItems(reply: Reply, ctx: RenderContext): OutputItem[] {
  const items: OutputItem[] = [];
  if (reply.text !== undefined || !reply.toolCalls?.length) {
    items.push({
      id: ctx.id("msg_"),
      type: "message",
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", annotations: [], logprobs: [], text: reply.text ?? "" }],
    });
  }
  for (const call of reply.toolCalls ?? []) {
    items.push({
      id: ctx.id("fc_"),
      type: "function_call",
      status: "completed",
      call_id: call.id ?? ctx.id("call_"),
      name: call.name,
      arguments: JSON.stringify(call.input),
    });
  }
  return items;
}

function responseObject(ctx: RenderContext, createdAt: number, status: "in_progress" | "completed", output: OutputItem[], usage: unknown) {
  const body = ctx.request.body;
  return {
    id: ctx.responseId,
    object: "response",
    created_at: createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: ctx.model,
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    service_tier: "default",
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: "text" } },
    tool_choice: body.tool_choice ?? "auto",
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? "disabled",
    usage,
    user: null,
    metadata: body.metadata ?? {},
  };
}

function usage(reply: Reply, ctx: RenderContext) {
  const input = inputTokens(reply, ctx);
  const output = outputTokens(reply);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

export const openaiResponses: WireFormat = {
  ...openaiWireBasics,
  idPrefix: "resp_",
  parse,

  json(reply, ctx) {
    return responseObject(ctx, unixSeconds(), "completed", outputItems(reply, ctx), usage(reply, ctx));
  },

  events(reply, ctx) {
    const createdAt = unixSeconds();
    const items = outputItems(reply, ctx);
    const events: string[] = [];
    const emit = (type: string, data: Record<string, unknown>) => events.push(sseEvent({ type, sequence_number: events.length, ...data }, type));
    emit("response.created", { response: responseObject(ctx, createdAt, "in_progress", [], null) });
    emit("response.in_progress", { response: responseObject(ctx, createdAt, "in_progress", [], null) });
    items.forEach((item, output_index) => {
      if (item.type === "message") {
        const text = item.content[0]!.text;
        const part = { type: "output_text", annotations: [], logprobs: [], text: "" };
        emit("response.output_item.added", { output_index, item: { ...item, status: "in_progress", content: [] } });
        emit("response.content_part.added", { item_id: item.id, output_index, content_index: 0, part });
        for (const delta of textDeltas(text)) emit("response.output_text.delta", { item_id: item.id, output_index, content_index: 0, delta, logprobs: [] });
        emit("response.output_text.done", { item_id: item.id, output_index, content_index: 0, text, logprobs: [] });
        emit("response.content_part.done", { item_id: item.id, output_index, content_index: 0, part: { ...part, text } });
      } else {
        emit("response.output_item.added", { output_index, item: { ...item, status: "in_progress", arguments: "" } });
        for (const delta of jsonFragments(item.arguments)) emit("response.function_call_arguments.delta", { item_id: item.id, output_index, delta });
        emit("response.function_call_arguments.done", { item_id: item.id, output_index, name: item.name, arguments: item.arguments });
      }
      emit("response.output_item.done", { output_index, item });
    });
    emit("response.completed", { response: responseObject(ctx, createdAt, "completed", items, usage(reply, ctx)) });
    return events;
  },
};

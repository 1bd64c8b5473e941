import OpenAI, { type APIError as OpenAIAPIError } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startAiGateway, type StartedAiGateway } from "./index.ts";

const KEY = "sk-openai-moltlab-secret-0002";
let gateway: StartedAiGateway;
let client: OpenAI;

beforeAll(async () => {
  gateway = await startAiGateway();
  client = new OpenAI({ apiKey: KEY, baseURL: gateway.baseUrl("openai"), maxRetries: 0 });
});
afterAll(() => gateway.stop());
beforeEach(() => gateway.reset());

const weatherTool = { type: "function" as const, function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };
const weatherScenario = {
  match: { userText: "weather" },
  turns: [{ toolCalls: [{ name: "get_weather", input: { city: "Oslo", details: { wind: true } } }] }, { text: "Cold and windy in Oslo." }],
};

describe("OpenAI Chat Completions through the gateway", () => {
  it("answers non-streaming with the fake reply and usage", async () => {
    const completion = await client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "Ping" }] });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]!.message.content).toBe("[moltlab fake] You said: Ping");
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    expect(gateway.log.last()).toMatchObject({ provider: "openai", model: "gpt-test", stream: false, status: 200 });
  });

  it("streams chunks ending with data: [DONE], with usage when asked", async () => {
    gateway.load([{ reply: { text: "one two three four five" } }]);
    const raw = await fetch(`${gateway.baseUrl("openai")}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-test", stream: true, messages: [{ role: "user", content: "count" }] }),
    });
    const lines = (await raw.text()).split("\n\n").filter(Boolean);
    expect(lines.at(-1)).toBe("data: [DONE]");
    expect(lines.every((line) => line.startsWith("data: "))).toBe(true);

    const stream = await client.chat.completions.create({
      model: "gpt-test",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "count" }],
    });
    let text = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe("one two three four five");
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("streams tool_calls the SDK's stream helper reassembles, then answers the tool result", async () => {
    gateway.load([weatherScenario]);
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "weather in Oslo?" }];
    const stream = client.chat.completions.stream({ model: "gpt-test", tools: [weatherTool], messages });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call.type === "function" && call.function.name).toBe("get_weather");
    expect(call.type === "function" && JSON.parse(call.function.arguments)).toEqual({ city: "Oslo", details: { wind: true } });

    const second = await client.chat.completions.create({
      model: "gpt-test",
      tools: [weatherTool],
      messages: [...messages, final.choices[0]!.message, { role: "tool", tool_call_id: call.id, content: "-5C" }],
    });
    expect(second.choices[0]!.message.content).toBe("Cold and windy in Oslo.");
  });

  it("answers a non-streaming tool call with content null", async () => {
    gateway.load([weatherScenario]);
    const completion = await client.chat.completions.create({ model: "gpt-test", tools: [weatherTool], messages: [{ role: "user", content: "weather?" }] });
    const message = completion.choices[0]!.message;
    expect(message.content).toBeNull();
    expect(message.tool_calls).toHaveLength(1);
    expect(message.tool_calls![0]).toMatchObject({ type: "function", function: { name: "get_weather" } });
  });

  it("rejects a missing key with 401 and malformed JSON with 400, in OpenAI's error shape", async () => {
    const url = `${gateway.baseUrl("openai")}/chat/completions`;
    const noKey = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({
      error: { type: "invalid_request_error", param: null, code: null, message: expect.stringContaining("You didn't provide an API key") },
    });
    const malformed = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${KEY}` }, body: "{oops" });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({
      error: { type: "invalid_request_error", message: expect.stringContaining("could not parse the JSON body") },
    });
    const error = await client.chat.completions.create({ model: "gpt-test" } as OpenAI.ChatCompletionCreateParamsNonStreaming).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as OpenAIAPIError).error).toMatchObject({ message: "Missing required parameter: 'messages'.", param: "messages" });
  });
});

describe("OpenAI Responses API through the gateway", () => {
  it("creates a response non-streaming", async () => {
    gateway.load([{ reply: { text: "Bonjour le monde" } }]);
    const response = await client.responses.create({ model: "gpt-test", input: "Say hello in French" });
    expect(response.status).toBe("completed");
    expect(response.output_text).toBe("Bonjour le monde");
    expect(response.usage!.total_tokens).toBeGreaterThan(0);
    expect(gateway.log.last()?.path).toMatch(/\/openai\/responses$/);
  });

  it("streams response.created … output_text.delta … response.completed", async () => {
    gateway.load([{ reply: { text: "A streamed answer with several words" } }]);
    const stream = await client.responses.create({ model: "gpt-test", input: "stream please", stream: true });
    const types: string[] = [];
    let text = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
    }
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
    expect(types).toContain("response.output_item.added");
    expect(types.filter((type) => type === "response.output_text.delta").length).toBeGreaterThan(1);
    expect(text).toBe("A streamed answer with several words");

    const helper = client.responses.stream({ model: "gpt-test", input: "stream please" });
    const final = await helper.finalResponse();
    expect(final.output_text).toBe("A streamed answer with several words");
  });

  it("streams a function call, and previous_response_id continues the conversation", async () => {
    gateway.load([weatherScenario]);
    const tools: OpenAI.Responses.Tool[] = [
      { type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false },
    ];
    const first = await client.responses.stream({ model: "gpt-test", input: "weather in Oslo", tools }).finalResponse();
    const call = first.output.find((item) => item.type === "function_call");
    expect(call).toMatchObject({ type: "function_call", name: "get_weather" });
    expect(JSON.parse((call as OpenAI.Responses.ResponseFunctionToolCall).arguments)).toEqual({ city: "Oslo", details: { wind: true } });

    const second = await client.responses.create({
      model: "gpt-test",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: (call as OpenAI.Responses.ResponseFunctionToolCall).call_id, output: "-5C" }],
      tools,
    });
    expect(second.output_text).toBe("Cold and windy in Oslo.");
  });
});

describe("compat and Workers AI routes", () => {
  it("compat/chat/completions takes provider/model and rejects a bare model as an invalid provider", async () => {
    const compat = new OpenAI({ apiKey: KEY, baseURL: gateway.baseUrl("compat"), maxRetries: 0 });
    const completion = await compat.chat.completions.create({ model: "anthropic/claude-test", messages: [{ role: "user", content: "hi" }] });
    expect(completion.choices[0]!.message.content).toBe("[moltlab fake] You said: hi");
    expect(gateway.log.last()).toMatchObject({ provider: "compat", model: "anthropic/claude-test" });

    const error = await compat.chat.completions.create({ model: "claude-test", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    // The gateway's own envelope; the SDK keeps its `error` array.
    expect((error as OpenAIAPIError).error).toEqual([{ code: 2008, message: "Invalid provider" }]);
  });

  it("workers-ai/@cf/… answers in Workers AI's envelope, streaming and not", async () => {
    gateway.load([{ match: { provider: "workers-ai", model: "@cf/meta/llama-3.1-8b-instruct" }, reply: { text: "llama says hi" } }]);
    const url = `${gateway.baseUrl("workers-ai")}/@cf/meta/llama-3.1-8b-instruct`;
    const headers = { authorization: "Bearer cf-token", "content-type": "application/json" };
    const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ prompt: "hello" }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ result: { response: "llama says hi" }, success: true, errors: [], messages: [] });

    const streamed = await fetch(url, { method: "POST", headers, body: JSON.stringify({ messages: [{ role: "user", content: "hello" }], stream: true }) });
    const events = (await streamed.text()).split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    const text = events
      .slice(0, -1)
      .map((event) => JSON.parse(event.slice(6)).response)
      .join("");
    expect(text).toBe("llama says hi");

    const unauthenticated = await fetch(url, { method: "POST", body: JSON.stringify({ prompt: "x" }) });
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.json()).toMatchObject({ success: false, errors: [{ code: 10000 }] });
  });

  it("workers-ai/v1/chat/completions is OpenAI-compatible", async () => {
    const workers = new OpenAI({ apiKey: "cf-token", baseURL: `${gateway.baseUrl("workers-ai")}/v1`, maxRetries: 0 });
    const completion = await workers.chat.completions.create({ model: "@cf/meta/llama-3.1-8b-instruct", messages: [{ role: "user", content: "yo" }] });
    expect(completion.choices[0]!.message.content).toBe("[moltlab fake] You said: yo");
    expect(gateway.log.last()).toMatchObject({ provider: "workers-ai", model: "@cf/meta/llama-3.1-8b-instruct" });
  });
});

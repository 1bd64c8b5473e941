import Anthropic, { type APIError as AnthropicAPIError } from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startAiGateway, type StartedAiGateway } from "./index.ts";

const KEY = "sk-ant-moltlab-secret-0001";
let gateway: StartedAiGateway;
let client: Anthropic;

beforeAll(async () => {
  gateway = await startAiGateway();
  client = new Anthropic({ apiKey: KEY, baseURL: gateway.baseUrl("anthropic"), maxRetries: 0 });
});
afterAll(() => gateway.stop());
beforeEach(() => gateway.reset());

const weatherTool = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object" as const, properties: { city: { type: "string" } } },
};

describe("Anthropic Messages through the gateway", () => {
  it("answers non-streaming with the default fake reply, usage and ids", async () => {
    const message = await client.messages.create({ model: "claude-test", max_tokens: 100, messages: [{ role: "user", content: "Hello there" }] });
    expect(message.type).toBe("message");
    expect(message.model).toBe("claude-test");
    expect(message.stop_reason).toBe("end_turn");
    expect(message.content).toEqual([{ type: "text", text: "[moltlab fake] You said: Hello there" }]);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message.id).toMatch(/^msg_/);
    const logged = gateway.log.last();
    expect(logged).toMatchObject({
      provider: "anthropic",
      model: "claude-test",
      stream: false,
      status: 200,
      path: "/v1/moltlab-account/moltlab-gateway/anthropic/v1/messages",
    });
  });

  it("streams the exact event sequence, ping included, and the SDK assembles the text", async () => {
    gateway.load([{ match: { userText: "poem" }, reply: { text: "Roses are red, violets are blue." } }]);
    const response = await fetch(`${gateway.baseUrl("anthropic")}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-test", max_tokens: 100, stream: true, messages: [{ role: "user", content: "a poem please" }] }),
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const events = [...(await response.text()).matchAll(/^event: (.+)$/gm)].map((match) => match[1]);
    expect(events[0]).toBe("message_start");
    expect(events.slice(1, 3)).toEqual(["content_block_start", "ping"]);
    expect(events.filter((name) => name === "content_block_delta").length).toBeGreaterThan(1);
    expect(events.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);

    const stream = client.messages.stream({ model: "claude-test", max_tokens: 100, messages: [{ role: "user", content: "a poem please" }] });
    const deltas: string[] = [];
    stream.on("text", (text) => deltas.push(text));
    const final = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe("Roses are red, violets are blue.");
    expect(final.content).toMatchObject([{ type: "text", text: "Roses are red, violets are blue." }]);
    expect(final.usage.output_tokens).toBeGreaterThan(1);
    expect(gateway.log.last()?.stream).toBe(true);
  });

  it("streams a tool_use whose input_json deltas the SDK reassembles, then answers the tool result (multi-turn)", async () => {
    gateway.load([
      {
        name: "weather",
        match: { userText: "weather" },
        turns: [
          { text: "Let me check.", toolCalls: [{ name: "get_weather", input: { city: "Paris", units: "metric", days: [1, 2] } }] },
          { text: "It is sunny in Paris." },
        ],
      },
    ]);
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "What's the weather in Paris?" }];
    const stream = client.messages.stream({ model: "claude-test", max_tokens: 100, tools: [weatherTool], messages });
    const jsonDeltas: string[] = [];
    stream.on("inputJson", (partial) => jsonDeltas.push(partial));
    const first = await stream.finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const toolUse = first.content.find((block) => block.type === "tool_use");
    expect(toolUse).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Paris", units: "metric", days: [1, 2] } });
    expect(jsonDeltas.length).toBeGreaterThan(2);
    expect(first.content[0]).toMatchObject({ type: "text", text: "Let me check." });

    const second = await client.messages.create({
      model: "claude-test",
      max_tokens: 100,
      tools: [weatherTool],
      messages: [
        ...messages,
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: toolUse!.id, content: "sunny" }] },
      ],
    });
    expect(second.content).toMatchObject([{ type: "text", text: "It is sunny in Paris." }]);
    expect(gateway.log.all().map((entry) => entry.scenario)).toEqual(["weather", "weather"]);
  });

  it("answers a non-streaming tool call", async () => {
    gateway.load([{ match: { model: "claude-tools" }, reply: { toolCalls: [{ id: "toolu_fixed", name: "exec", input: { command: "ls" } }] } }]);
    const message = await client.messages.create({ model: "claude-tools", max_tokens: 100, messages: [{ role: "user", content: "list files" }] });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([{ type: "tool_use", id: "toolu_fixed", name: "exec", input: { command: "ls" } }]);
  });

  it("rejects a missing x-api-key with 401 authentication_error", async () => {
    // The SDK refuses to send without a key, so drop it on the way out. SDK 1.x sends the key as a
    // bearer token; OpenClaw sends x-api-key: the emulator takes either, so both go.
    const withoutKey: typeof fetch = (url, init) => {
      const headers = new Headers(init?.headers);
      headers.delete("x-api-key");
      headers.delete("authorization");
      return fetch(url, { ...init, headers });
    };
    const anonymous = new Anthropic({ apiKey: KEY, baseURL: gateway.baseUrl("anthropic"), maxRetries: 0, fetch: withoutKey });
    const error = await anonymous.messages.create({ model: "m", max_tokens: 1, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as AnthropicAPIError).error).toEqual({ type: "error", error: { type: "authentication_error", message: "x-api-key header is required" } });
  });

  it("answers malformed JSON, a missing anthropic-version and a missing field with 400 invalid_request_error", async () => {
    const url = `${gateway.baseUrl("anthropic")}/v1/messages`;
    const headers = { "x-api-key": KEY, "anthropic-version": "2023-06-01", "content-type": "application/json" };
    const malformed = await fetch(url, { method: "POST", headers, body: "{not json" });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });

    const noVersion = await fetch(url, { method: "POST", headers: { "x-api-key": KEY }, body: "{}" });
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toEqual({ type: "error", error: { type: "invalid_request_error", message: "anthropic-version: header is required" } });

    const error = await client.messages.create({ model: "m", messages: [] } as unknown as Anthropic.MessageCreateParamsNonStreaming).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as AnthropicAPIError).message).toContain("max_tokens: Field required");
  });
});

import Anthropic, { type APIError as AnthropicAPIError } from "@anthropic-ai/sdk";
import OpenAI, { type APIError as OpenAIAPIError } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAULT_HEADER, startAiGateway, type StartedAiGateway } from "./index.ts";

let gateway: StartedAiGateway;
let anthropic: Anthropic;
let openai: OpenAI;

beforeAll(async () => {
  gateway = await startAiGateway();
  anthropic = new Anthropic({ apiKey: "sk-ant-faults", baseURL: gateway.baseUrl("anthropic"), maxRetries: 0, logLevel: "off" });
  openai = new OpenAI({ apiKey: "sk-openai-faults", baseURL: gateway.baseUrl("openai"), maxRetries: 0, logLevel: "off" });
});
afterAll(() => gateway.stop());
beforeEach(() => gateway.reset());

const ask = { model: "claude-test", max_tokens: 50, messages: [{ role: "user" as const, content: "hello" }] };
const chat = { model: "gpt-test", messages: [{ role: "user" as const, content: "hello" }] };

/** Resolves to what the promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

async function drain(iterable: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of iterable);
}

describe("status faults surface as the SDKs' own error types", () => {
  it("429 → RateLimitError with retry-after, in each provider's error shape", async () => {
    gateway.inject({ kind: "status", status: 429, retryAfter: 3, times: 2 });
    const fromAnthropic = await rejection(anthropic.messages.create(ask));
    expect(fromAnthropic).toBeInstanceOf(Anthropic.RateLimitError);
    expect((fromAnthropic as AnthropicAPIError).headers?.get("retry-after")).toBe("3");
    expect((fromAnthropic as AnthropicAPIError).error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    const fromOpenai = await rejection(openai.chat.completions.create(chat));
    expect(fromOpenai).toBeInstanceOf(OpenAI.RateLimitError);
    expect((fromOpenai as OpenAIAPIError).code).toBe("rate_limit_exceeded");
    expect(gateway.log.all().map((entry) => [entry.status, entry.fault])).toEqual([
      [429, "status"],
      [429, "status"],
    ]);
  });

  it("401 → AuthenticationError", async () => {
    gateway.inject({ kind: "status", status: 401, times: 2 });
    expect(await rejection(anthropic.messages.create(ask))).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(await rejection(openai.chat.completions.create(chat))).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("500 and 503 → InternalServerError", async () => {
    gateway.inject({ kind: "status", status: 500, times: 2 });
    gateway.inject({ kind: "status", status: 503, times: 2 });
    for (const status of [500, 503]) {
      const a = await rejection(anthropic.messages.create(ask));
      expect(a).toBeInstanceOf(Anthropic.InternalServerError);
      expect((a as AnthropicAPIError).status).toBe(status);
      const o = await rejection(openai.chat.completions.create(chat));
      expect(o).toBeInstanceOf(OpenAI.InternalServerError);
      expect((o as OpenAIAPIError).status).toBe(status);
    }
  });

  it("a fault queued for one model leaves the others alone, and a scenario can carry a fault", async () => {
    gateway.inject({ kind: "status", status: 500, match: { model: "claude-broken" } });
    gateway.load([{ name: "overloaded", match: { model: "gpt-overloaded" }, fault: { kind: "status", status: 503 } }]);
    await expect(anthropic.messages.create(ask)).resolves.toMatchObject({ type: "message" });
    expect(await rejection(anthropic.messages.create({ ...ask, model: "claude-broken" }))).toBeInstanceOf(Anthropic.InternalServerError);
    await expect(anthropic.messages.create({ ...ask, model: "claude-broken" })).resolves.toMatchObject({ type: "message" });
    expect(await rejection(openai.chat.completions.create({ ...chat, model: "gpt-overloaded" }))).toBeInstanceOf(OpenAI.InternalServerError);
    expect(gateway.log.last()).toMatchObject({ scenario: "overloaded", fault: "status", status: 503 });
  });

  it("a request can ask for its own fault with the x-moltlab-fault header", async () => {
    const headers = { [FAULT_HEADER]: JSON.stringify({ kind: "status", status: 401 }) };
    expect(await rejection(openai.chat.completions.create(chat, { headers }))).toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(openai.chat.completions.create(chat)).resolves.toMatchObject({ object: "chat.completion" });
  });

  it("the SDK honours retry-after: a 429 then success is two requests in the log", async () => {
    const retrying = new Anthropic({ apiKey: "sk-ant-faults", baseURL: gateway.baseUrl("anthropic"), maxRetries: 1 });
    gateway.inject({ kind: "status", status: 429, retryAfter: 0 });
    const message = await retrying.messages.create(ask);
    expect(message.content[0]).toMatchObject({ type: "text" });
    expect(gateway.log.all().map((entry) => entry.status)).toEqual([429, 200]);
  });
});

describe("connection faults", () => {
  it("reset → APIConnectionError (not a timeout)", async () => {
    gateway.inject({ kind: "reset", times: 2 });
    const a = await rejection(anthropic.messages.create(ask));
    expect(a).toBeInstanceOf(Anthropic.APIConnectionError);
    expect(a).not.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    const o = await rejection(openai.chat.completions.create(chat));
    expect(o).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(o).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it("a slow first byte beyond the client's timeout → APIConnectionTimeoutError", async () => {
    // The delay is far beyond the timeout; reset() in the next beforeEach ends the wait.
    gateway.inject({ kind: "slow-first-byte", delayMs: 60_000, times: 2 });
    expect(await rejection(anthropic.messages.create(ask, { timeout: 50 }))).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    expect(await rejection(openai.chat.completions.create(chat, { timeout: 50 }))).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it("a slow first byte within the client's timeout still answers", async () => {
    gateway.inject({ kind: "slow-first-byte", delayMs: 1 });
    await expect(anthropic.messages.create(ask)).resolves.toMatchObject({ type: "message" });
    expect(gateway.log.last()).toMatchObject({ fault: "slow-first-byte", status: 200 });
  });

  it("a cut mid-stream makes stream iteration throw, after the events already sent", async () => {
    gateway.inject({ kind: "cut", afterChunks: 3, times: 2 });
    const seen: string[] = [];
    const anthropicStream = await anthropic.messages.create({ ...ask, stream: true });
    await expect(
      (async () => {
        for await (const event of anthropicStream) seen.push(event.type);
      })(),
    ).rejects.toThrow();
    // Sent: message_start, content_block_start, ping (skipped by the SDK), then the cut. What
    // reaches the SDK before the error depends on the network; never anything past the cut.
    expect(["message_start", "content_block_start"].slice(0, seen.length)).toEqual(seen);
    expect(gateway.log.last()).toMatchObject({ fault: "cut", status: 200 });
    await expect(drain(await openai.chat.completions.create({ ...chat, stream: true }))).rejects.toThrow();
  });

  it("a malformed chunk makes stream iteration throw", async () => {
    gateway.inject({ kind: "malformed", afterChunks: 1, times: 2 });
    await expect(drain(await anthropic.messages.create({ ...ask, stream: true }))).rejects.toThrow(SyntaxError);
    await expect(drain(await openai.chat.completions.create({ ...chat, stream: true }))).rejects.toThrow(/malformed/);
  });

  it("a stall keeps the connection open after the first events; only the client's abort ends it", async () => {
    gateway.inject({ kind: "stall", afterChunks: 2 });
    const stream = await anthropic.messages.create({ ...ask, stream: true });
    const seen: string[] = [];
    // Anthropic's stream ends quietly when its own controller aborts; a cut or a completed
    // stream would instead throw or deliver more events before the loop ends.
    for await (const event of stream) {
      seen.push(event.type);
      if (seen.length === 2) stream.controller.abort();
    }
    expect(seen).toEqual(["message_start", "content_block_start"]);
    expect(gateway.log.last()).toMatchObject({ fault: "stall", stream: true });
  });
});

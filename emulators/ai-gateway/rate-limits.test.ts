import Anthropic, { type APIError as AnthropicAPIError } from "@anthropic-ai/sdk";
import OpenAI, { type APIError as OpenAIAPIError } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { goDuration, rateLimitHeaders } from "./rate-limits.ts";
import { startAiGateway, type StartedAiGateway } from "./index.ts";

let gateway: StartedAiGateway;

beforeAll(async () => {
  gateway = await startAiGateway();
});
afterAll(() => gateway.stop());
beforeEach(() => gateway.reset());

const ask = { model: "claude-test", max_tokens: 50, messages: [{ role: "user" as const, content: "hello" }] };
const chat = { model: "gpt-test", messages: [{ role: "user" as const, content: "hello" }] };

/** A fetch that remembers every response the SDK received (status and headers), so a test can see what it retried on. */
function recordingFetch(): { fetch: typeof fetch; seen: Array<{ status: number; headers: Headers }> } {
  const seen: Array<{ status: number; headers: Headers }> = [];
  return {
    seen,
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      seen.push({ status: response.status, headers: response.headers });
      return response;
    },
  };
}

describe("rate-limit header formats", () => {
  it("writes OpenAI resets as Go durations and Anthropic resets as RFC 3339 times", () => {
    expect([0, 0.012, 1, 1.5, 20, 360, 3600, 3723].map(goDuration)).toEqual(["0s", "12ms", "1s", "1.5s", "20s", "6m0s", "1h0m0s", "1h2m3s"]);
    const now = Date.parse("2025-08-21T12:40:00Z");
    expect(rateLimitHeaders("anthropic", { requests: { limit: 1000, remaining: 999, resetSeconds: 59 } }, now)).toEqual({
      "anthropic-ratelimit-requests-limit": "1000",
      "anthropic-ratelimit-requests-remaining": "999",
      "anthropic-ratelimit-requests-reset": "2025-08-21T12:40:59Z",
    });
    expect(rateLimitHeaders("openai", { tokens: { limit: 160000, remaining: 159976, resetSeconds: 0.009 }, inputTokens: { limit: 1 } }, now)).toEqual({
      "x-ratelimit-limit-tokens": "160000",
      "x-ratelimit-remaining-tokens": "159976",
      "x-ratelimit-reset-tokens": "9ms",
    });
    expect(rateLimitHeaders(undefined, { requests: { limit: 1 } }, now)).toEqual({});
  });
});

describe("429 and overload as each provider sends them", () => {
  it("Anthropic: the SDK retries a 429 that carries retry-after and anthropic-ratelimit-*, then succeeds", async () => {
    const recorder = recordingFetch();
    const client = new Anthropic({ apiKey: "sk-ant-rl", baseURL: gateway.baseUrl("anthropic"), maxRetries: 2, fetch: recorder.fetch, logLevel: "off" });
    gateway.configure({ rateLimit: { requests: { limit: 50 }, tokens: { limit: 40000, remaining: 39000 } } });
    // Fractional seconds keep the test quick; the SDK reads retry-after with parseFloat.
    gateway.inject({ kind: "status", status: 429, retryAfter: 0.01 });
    const message = await client.messages.create(ask);
    expect(message.type).toBe("message");
    expect(gateway.log.all().map((entry) => entry.status)).toEqual([429, 200]);
    const [limited, ok] = recorder.seen;
    expect(limited!.status).toBe(429);
    expect(limited!.headers.get("retry-after")).toBe("0.01");
    expect(limited!.headers.get("anthropic-ratelimit-requests-limit")).toBe("50");
    expect(limited!.headers.get("anthropic-ratelimit-requests-remaining")).toBe("0");
    expect(limited!.headers.get("anthropic-ratelimit-requests-reset")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(limited!.headers.get("anthropic-ratelimit-tokens-remaining")).toBe("39000");
    expect(limited!.headers.get("x-ratelimit-limit-requests")).toBeNull();
    // The success carries the configured windows too, untouched.
    expect(ok!.headers.get("anthropic-ratelimit-requests-remaining")).toBe("50");
  });

  it("Anthropic: 529 overloaded_error is retried by the SDK like a 5xx, and surfaces as one when retries run out", async () => {
    const recorder = recordingFetch();
    const client = new Anthropic({ apiKey: "sk-ant-rl", baseURL: gateway.baseUrl("anthropic"), maxRetries: 1, fetch: recorder.fetch, logLevel: "off" });
    gateway.inject({ kind: "status", status: 529, retryAfter: 0.01 });
    await expect(client.messages.create(ask)).resolves.toMatchObject({ type: "message" });
    expect(recorder.seen.map((seen) => seen.status)).toEqual([529, 200]);

    gateway.inject({ kind: "status", status: 529, retryAfter: 0.01, times: 2 });
    const error = (await client.messages.create(ask).catch((e: unknown) => e)) as AnthropicAPIError;
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error.status).toBe(529);
    expect(error.error).toEqual({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
  });

  it("OpenAI: the SDK exposes x-ratelimit-* on a success and on its RateLimitError", async () => {
    const client = new OpenAI({ apiKey: "sk-openai-rl", baseURL: gateway.baseUrl("openai"), maxRetries: 0, logLevel: "off" });
    gateway.configure({
      rateLimit: { requests: { limit: 5000, remaining: 4999, resetSeconds: 0.012 }, tokens: { limit: 160000, remaining: 159976, resetSeconds: 360 } },
    });
    const { response } = await client.chat.completions.create(chat).withResponse();
    expect(Object.fromEntries([...response.headers].filter(([name]) => name.startsWith("x-ratelimit-")))).toEqual({
      "x-ratelimit-limit-requests": "5000",
      "x-ratelimit-remaining-requests": "4999",
      "x-ratelimit-reset-requests": "12ms",
      "x-ratelimit-limit-tokens": "160000",
      "x-ratelimit-remaining-tokens": "159976",
      "x-ratelimit-reset-tokens": "6m0s",
    });
    expect(response.headers.get("anthropic-ratelimit-requests-limit")).toBeNull();

    gateway.inject({ kind: "status", status: 429, retryAfter: 20 });
    const error = (await client.chat.completions.create(chat).catch((e: unknown) => e)) as OpenAIAPIError;
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.code).toBe("rate_limit_exceeded");
    expect(error.error).toMatchObject({
      type: "requests",
      message:
        "Rate limit reached for gpt-test in organization org-moltlab on requests per min (RPM): Limit 5000, Used 5000, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.",
    });
    expect(error.headers?.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(error.headers?.get("x-ratelimit-reset-requests")).toBe("20s");
    expect(error.headers?.get("retry-after")).toBe("20");
  });

  it("a fault can name the exhausted window itself (tokens rather than requests)", async () => {
    const client = new OpenAI({ apiKey: "sk-openai-rl", baseURL: gateway.baseUrl("openai"), maxRetries: 0, logLevel: "off" });
    gateway.inject({ kind: "status", status: 429, rateLimit: { tokens: { limit: 30000, remaining: 0, resetSeconds: 8.64 } } });
    const error = (await client.chat.completions.create(chat).catch((e: unknown) => e)) as OpenAIAPIError;
    expect(error.headers?.get("x-ratelimit-reset-tokens")).toBe("8.64s");
    expect(error.headers?.get("x-ratelimit-limit-requests")).toBeNull();
  });

  it("Workers AI: no rate-limit headers, its own envelope and codes", async () => {
    gateway.configure({ rateLimit: { requests: { limit: 10 } } });
    gateway.inject({ kind: "status", status: 429 });
    const response = await fetch(`${gateway.baseUrl("workers-ai")}/@cf/meta/llama-3.1-8b-instruct`, {
      method: "POST",
      headers: { authorization: "Bearer cf-token", "content-type": "application/json" },
      body: JSON.stringify({ prompt: "hi" }),
    });
    expect(response.status).toBe(429);
    expect([...response.headers.keys()].filter((name) => name.includes("ratelimit"))).toEqual([]);
    expect(await response.json()).toEqual({
      success: false,
      errors: [{ code: 3040, message: "No more data centers to forward the request to" }],
      messages: [],
      result: null,
    });
  });
});

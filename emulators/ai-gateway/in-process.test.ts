import Anthropic from "@anthropic-ai/sdk";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AI_GATEWAY_ORIGIN, aiGatewayHandlers, createAiGatewayState, gatewayBaseUrl } from "./index.ts";

// The same handlers, intercepting fetch in this process: no port, the real gateway hostname.
const state = createAiGatewayState({ scenarios: [{ match: { userText: "capital" }, reply: { text: "Paris." } }] });
const server = setupServer(...aiGatewayHandlers(state));
const anthropicBase = gatewayBaseUrl(AI_GATEWAY_ORIGIN, "anthropic", "acct", "gw");

beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => {
  server.resetHandlers();
  state.reset();
});
afterAll(() => server.close());

const request = (text: string, stream = false) =>
  fetch(`${anthropicBase}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": "sk-in-process", "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-test", max_tokens: 10, stream, messages: [{ role: "user", content: text }] }),
  });

describe("in-process with msw/node", () => {
  it("intercepts a plain fetch to https://gateway.ai.cloudflare.com and answers from the scenarios", async () => {
    const response = await request("What is the capital of France?");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ type: "message", content: [{ type: "text", text: "Paris." }] });
    expect(state.log.last()).toMatchObject({ account: "acct", gateway: "gw", provider: "anthropic", path: "/v1/acct/gw/anthropic/v1/messages" });
  });

  it("streams in-process to the official SDK", async () => {
    const client = new Anthropic({ apiKey: "sk-in-process", baseURL: anthropicBase, maxRetries: 0 });
    const final = await client.messages.stream({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "capital?" }] }).finalMessage();
    expect(final.content).toMatchObject([{ type: "text", text: "Paris." }]);
  });

  it("lets a test put its own handler in front with server.use", async () => {
    server.use(http.post("*/v1/:account/:gateway/anthropic/v1/messages", () => HttpResponse.json({ overridden: true }, { status: 418 })));
    const response = await request("capital");
    expect(response.status).toBe(418);
    expect(await response.json()).toEqual({ overridden: true });
    expect(state.log.count()).toBe(0);
  });

  it("scopes work in-process too: a fault injected under a scope only hits requests carrying it", async () => {
    state.inject({ kind: "status", status: 529 }, "in-process-a");
    const scoped = (scope: string) =>
      fetch(`${anthropicBase}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": "sk-in-process", "anthropic-version": "2023-06-01", "x-moltlab-scope": scope },
        body: JSON.stringify({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "capital" }] }),
      });
    expect((await scoped("in-process-b")).status).toBe(200);
    expect((await request("capital")).status).toBe(200);
    const overloaded = await scoped("in-process-a");
    expect(overloaded.status).toBe(529);
    expect(await overloaded.json()).toEqual({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    expect(state.log.all({ scope: "in-process-a" }).map((entry) => entry.status)).toEqual([529]);
  });

  it("plays a connection reset in-process as a failed fetch", async () => {
    state.inject({ kind: "reset" });
    await expect(request("capital")).rejects.toThrow(TypeError);
  });
});

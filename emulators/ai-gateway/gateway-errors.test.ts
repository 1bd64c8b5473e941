import Anthropic, { type APIError as AnthropicAPIError } from "@anthropic-ai/sdk";
import OpenAI, { type APIError as OpenAIAPIError } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startAiGateway, type StartedAiGateway } from "./index.ts";

const GATEWAY_TOKEN = "cf-aig-token-for-gateway-errors";
let open: StartedAiGateway;
let authenticated: StartedAiGateway;

beforeAll(async () => {
  [open, authenticated] = await Promise.all([startAiGateway(), startAiGateway({ authToken: GATEWAY_TOKEN })]);
});
afterAll(() => Promise.all([open.stop(), authenticated.stop()]));
beforeEach(() => {
  open.reset();
  authenticated.reset();
});

const gatewayAuth = { "cf-aig-authorization": `Bearer ${GATEWAY_TOKEN}` };
const body = JSON.stringify({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });

/** A request with no provider key at all: the gateway has to find one, or refuse. */
function keyless(target: StartedAiGateway, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${target.baseUrl("anthropic")}/v1/messages`, {
    method: "POST",
    headers: { "anthropic-version": "2023-06-01", "content-type": "application/json", ...headers },
    body,
  });
}

/** The envelope every AI Gateway error has, with its code and message. */
const gatewayError = (status: number, code: number, message: string) => ({
  success: false,
  result: [],
  messages: [],
  error: [{ code, message }],
  name: "AiGatewayError",
  httpCode: status,
  internalCode: code,
  message,
});

describe("provider credentials, resolved as AI Gateway does", () => {
  it("an authenticated gateway bills a keyless request to Unified Billing: 402 code 2021 without credits, an answer with them", async () => {
    const broke = await keyless(authenticated, gatewayAuth);
    expect(broke.status).toBe(402);
    expect(await broke.json()).toMatchObject(
      gatewayError(
        402,
        2021,
        "Insufficient wholesale credits. Please add additional credits on the AI Gateway Cloudflare dashboard to continue using provider models.",
      ),
    );
    authenticated.configure({ unifiedBillingCredits: true });
    const paid = await keyless(authenticated, gatewayAuth);
    expect(paid.status).toBe(200);
    expect(authenticated.log.all().map((entry) => [entry.status, entry.keySource])).toEqual([
      [402, undefined],
      [200, "unified-billing"],
    ]);
  });

  it("a stored BYOK key serves a keyless request; an unknown alias gets 400 code 2040 naming the aliases", async () => {
    authenticated.configure({ byok: { anthropic: ["default", "team-b"] } });
    expect((await keyless(authenticated, gatewayAuth)).status).toBe(200);
    expect((await keyless(authenticated, { ...gatewayAuth, "cf-aig-byok-alias": "team-b" })).status).toBe(200);
    const unknown = await keyless(authenticated, { ...gatewayAuth, "cf-aig-byok-alias": "team-c" });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject(
      gatewayError(400, 2040, "Provider 'anthropic' has no BYOK credential named 'team-c'. Configured aliases: 'default', 'team-b'"),
    );
    expect(authenticated.log.all().map((entry) => entry.keySource)).toEqual(["byok", "byok", undefined]);
  });

  it("a key on the request is forwarded as it is: stored keys and billing are not consulted", async () => {
    const withKey = await keyless(authenticated, { ...gatewayAuth, "x-api-key": "sk-ant-own" });
    expect(withKey.status).toBe(200);
    expect(authenticated.log.last()?.keySource).toBe("request");
  });

  it("Require provider credentials (setting or cf-aig-no-wholesale) refuses instead of billing", async () => {
    authenticated.configure({ unifiedBillingCredits: true });
    const perRequest = await keyless(authenticated, { ...gatewayAuth, "cf-aig-no-wholesale": "true" });
    expect(perRequest.status).toBe(400);
    expect(await perRequest.json()).toMatchObject({ name: "AiGatewayError", internalCode: 2040 });
    authenticated.configure({ requireProviderCredentials: true });
    expect((await keyless(authenticated, gatewayAuth)).status).toBe(400);
  });

  it("an unauthenticated gateway forwards a keyless request, and the provider refuses it", async () => {
    const response = await keyless(open);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ type: "error", error: { type: "authentication_error", message: "x-api-key header is required" } });
  });
});

describe("AI Gateway's own rate limiting", () => {
  it("answers 429 code 2003 past the limit, which the SDK reports as a RateLimitError", async () => {
    open.configure({ gatewayRateLimit: { limit: 2, periodSeconds: 3600, technique: "sliding" } });
    const client = new OpenAI({ apiKey: "sk-openai-gw", baseURL: open.baseUrl("openai"), maxRetries: 0, logLevel: "off" });
    const chat = { model: "gpt-test", messages: [{ role: "user" as const, content: "hi" }] };
    await client.chat.completions.create(chat);
    await client.chat.completions.create(chat);
    const error = (await client.chat.completions.create(chat).catch((e: unknown) => e)) as OpenAIAPIError;
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    // The OpenAI SDK takes the body's `error` field: here the gateway's array, not OpenAI's object.
    expect(error.error).toEqual([{ code: 2003, message: "Rate limited" }]);
    expect(open.log.all().map((entry) => entry.status)).toEqual([200, 200, 429]);
  });
});

describe("gateway-error faults", () => {
  it("raise AI Gateway's own errors on demand, in its envelope", async () => {
    const client = new Anthropic({ apiKey: "sk-ant-gw", baseURL: open.baseUrl("anthropic"), maxRetries: 0, logLevel: "off" });
    const cases = [
      ["unauthorized", 401, 2009, Anthropic.AuthenticationError],
      ["rate-limited", 429, 2003, Anthropic.RateLimitError],
      ["insufficient-credits", 402, 2021, Anthropic.APIError],
      ["spend-limit", 429, 2041, Anthropic.RateLimitError],
      ["missing-provider-key", 400, 2040, Anthropic.BadRequestError],
    ] as const;
    for (const [name, status, code, type] of cases) {
      open.inject({ kind: "gateway-error", error: name });
      const error = (await client.messages
        .create({ model: "claude-test", max_tokens: 5, messages: [{ role: "user", content: "hi" }] })
        .catch((e: unknown) => e)) as AnthropicAPIError;
      expect(error).toBeInstanceOf(type);
      expect(error.status).toBe(status);
      expect(error.error).toMatchObject({ name: "AiGatewayError", internalCode: code, httpCode: status });
    }
    expect(open.log.all().map((entry) => entry.fault)).toEqual(cases.map(() => "gateway-error"));
  });

  it("refuses an unknown gateway error name with a 400 naming the choices", async () => {
    const response = await fetch(`${open.controlUrl}/faults`, { method: "POST", body: JSON.stringify({ kind: "gateway-error", error: "boom" }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "fault.error must be one of unauthorized, rate-limited, insufficient-credits, spend-limit, missing-provider-key",
    });
  });
});

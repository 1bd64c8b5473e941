import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fingerprint, startAiGateway, type LoggedRequest, type StartedAiGateway } from "./index.ts";

const PROVIDER_KEY = "sk-ant-very-secret-provider-key-42";
const GATEWAY_TOKEN = "cf-aig-very-secret-gateway-token-42";

let gateway: StartedAiGateway;
let authenticated: StartedAiGateway;

beforeAll(async () => {
  [gateway, authenticated] = await Promise.all([startAiGateway(), startAiGateway({ authToken: GATEWAY_TOKEN })]);
});
afterAll(() => Promise.all([gateway.stop(), authenticated.stop()]));
beforeEach(() => {
  gateway.reset();
  authenticated.reset();
});

const messageBody = (text: string, stream = false) =>
  JSON.stringify({ model: "claude-test", max_tokens: 50, stream, messages: [{ role: "user", content: text }] });

function post(target: StartedAiGateway, headers: Record<string, string>, body: string): Promise<Response> {
  return fetch(`${target.baseUrl("anthropic")}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": PROVIDER_KEY, "anthropic-version": "2023-06-01", "content-type": "application/json", ...headers },
    body,
  });
}

describe("gateway headers and cache", () => {
  it("answers with cf-aig-* headers, the log id matching the request log", async () => {
    const response = await post(gateway, {}, messageBody("hi"));
    expect(response.status).toBe(200);
    expect(response.headers.get("cf-aig-log-id")).toBe(gateway.log.last()?.logId);
    expect(response.headers.get("cf-aig-event-id")).toBeTruthy();
    expect(response.headers.get("cf-aig-cache-status")).toBe("MISS");
    expect(response.headers.get("request-id")).toMatch(/^req_/);
  });

  it("serves the same request from cache with cf-aig-cache-ttl (HIT, no upstream fault), and skip-cache bypasses it", async () => {
    const ttl = { "cf-aig-cache-ttl": "60" };
    const first = await post(gateway, ttl, messageBody("cache me", true));
    const firstBody = await first.text();
    expect(first.headers.get("cf-aig-cache-status")).toBe("MISS");

    // A cached answer never reaches the provider, so a queued upstream failure does not apply.
    gateway.inject({ kind: "status", status: 500 });
    const second = await post(gateway, ttl, messageBody("cache me", true));
    expect(second.status).toBe(200);
    expect(second.headers.get("cf-aig-cache-status")).toBe("HIT");
    expect(await second.text()).toBe(firstBody);

    const skipped = await post(gateway, { ...ttl, "cf-aig-skip-cache": "true" }, messageBody("cache me", true));
    expect(skipped.status).toBe(500);
    expect(skipped.headers.get("cf-aig-cache-status")).toBeNull();

    const different = await post(gateway, ttl, messageBody("something else", true));
    expect(different.headers.get("cf-aig-cache-status")).toBe("MISS");
    expect(gateway.log.all().map((entry) => entry.cache)).toEqual(["MISS", "HIT", "MISS", "MISS"]);
  });

  it("does not cache without cf-aig-cache-ttl", async () => {
    await post(gateway, {}, messageBody("no ttl"));
    const again = await post(gateway, {}, messageBody("no ttl"));
    expect(again.headers.get("cf-aig-cache-status")).toBe("MISS");
  });
});

describe("authenticated gateway", () => {
  const unauthorized = {
    success: false,
    result: [],
    messages: [],
    error: [{ code: 2009, message: "Unauthorized" }],
    name: "AiGatewayError",
    internalCode: 2009,
  };

  it("refuses a missing or wrong cf-aig-authorization with 401 in the gateway's shape", async () => {
    const missing = await post(authenticated, {}, messageBody("hi"));
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject(unauthorized);
    const wrong = await post(authenticated, { "cf-aig-authorization": "Bearer not-the-token" }, messageBody("hi"));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject(unauthorized);
  });

  it("lets the right token through, also from the SDK", async () => {
    const right = await post(authenticated, { "cf-aig-authorization": `Bearer ${GATEWAY_TOKEN}` }, messageBody("hi"));
    expect(right.status).toBe(200);
    const client = new Anthropic({
      apiKey: PROVIDER_KEY,
      baseURL: authenticated.baseUrl("anthropic"),
      maxRetries: 0,
      defaultHeaders: { "cf-aig-authorization": `Bearer ${GATEWAY_TOKEN}` },
    });
    await expect(client.messages.create({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })).resolves.toMatchObject({
      type: "message",
    });
    const noToken = new Anthropic({ apiKey: PROVIDER_KEY, baseURL: authenticated.baseUrl("anthropic"), maxRetries: 0 });
    await expect(noToken.messages.create({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
  });
});

describe("request log", () => {
  it("never holds x-api-key, authorization or cf-aig-authorization in clear, but fingerprints them", async () => {
    await post(authenticated, { "cf-aig-authorization": `Bearer ${GATEWAY_TOKEN}`, authorization: `Bearer ${PROVIDER_KEY}` }, messageBody("secret test"));
    const overHttp = (await (await fetch(`${authenticated.controlUrl}/log`)).json()) as { requests: LoggedRequest[] };
    for (const log of [JSON.stringify(authenticated.log.all()), JSON.stringify(overHttp)]) {
      expect(log).not.toContain(PROVIDER_KEY);
      expect(log).not.toContain(GATEWAY_TOKEN);
    }
    const [entry] = overHttp.requests;
    expect(entry!.headers["x-api-key"]).toBe(`***${fingerprint(PROVIDER_KEY)}`);
    expect(entry!.headers.authorization).toBe(`Bearer ***${fingerprint(PROVIDER_KEY)}`);
    expect(entry!.headers["cf-aig-authorization"]).toBe(`Bearer ***${fingerprint(GATEWAY_TOKEN)}`);
    expect(entry!.body).toMatchObject({ model: "claude-test", messages: [{ role: "user", content: "secret test" }] });
  });
});

describe("control API over HTTP", () => {
  const control = (path: string, body?: unknown) =>
    fetch(
      `${gateway.controlUrl}/${path}`,
      body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
    );

  it("loads scenarios, queues faults, reads the log and resets", async () => {
    expect(await (await control("health")).json()).toEqual({ ok: true });
    expect(await (await control("scenarios", [{ match: { userText: "ping" }, reply: { text: "pong" } }])).json()).toEqual({ loaded: 1 });
    expect(await (await post(gateway, {}, messageBody("ping"))).json()).toMatchObject({ content: [{ type: "text", text: "pong" }] });

    expect(await (await control("faults", { kind: "status", status: 429, retryAfter: 7 })).json()).toEqual({ queued: 1 });
    const limited = await post(gateway, {}, messageBody("ping"));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");

    const log = (await (await control("log?provider=anthropic")).json()) as { requests: LoggedRequest[] };
    expect(log.requests.map((entry) => entry.status)).toEqual([200, 429]);

    expect(await (await control("reset", {})).json()).toEqual({ ok: true });
    expect(gateway.log.count()).toBe(0);
    expect(await (await post(gateway, {}, messageBody("ping"))).json()).toMatchObject({ content: [{ text: "[moltlab fake] You said: ping" }] });
  });

  it("refuses invalid scenarios and faults with 400 and a message", async () => {
    const badScenario = await control("scenarios", [{ match: { userText: 3 }, reply: { text: "x" } }]);
    expect(badScenario.status).toBe(400);
    expect(await badScenario.json()).toEqual({ error: "scenarios[0].match.userText must be a string" });
    const badFault = await control("faults", { kind: "explode" });
    expect(badFault.status).toBe(400);
    expect(((await badFault.json()) as { error: string }).error).toContain("fault.kind must be one of");
  });
});

describe("unknown routes", () => {
  const send = (path: string, method = "POST") =>
    fetch(`${gateway.url}${path}`, { method, headers: { "content-type": "application/json" }, body: method === "GET" ? undefined : "{}" });

  it("an unknown provider gets the gateway's 400 Invalid provider", async () => {
    const response = await send("/v1/acct/gw/not-a-provider/v1/chat");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ success: false, error: [{ code: 2008, message: "Invalid provider" }] });
    expect(gateway.log.last()).toMatchObject({ path: "/v1/acct/gw/not-a-provider/v1/chat", status: 400 });
  });

  it("an unknown path under a provider gets that provider's 404", async () => {
    const anthropic = await send("/v1/acct/gw/anthropic/v1/complete-me");
    expect(anthropic.status).toBe(404);
    expect(await anthropic.json()).toEqual({ type: "error", error: { type: "not_found_error", message: "Not Found" } });
    const openai = await send("/v1/acct/gw/openai/v1/nothing");
    expect(openai.status).toBe(404);
    expect(await openai.json()).toMatchObject({ error: { message: "Invalid URL (POST /v1/v1/nothing)", type: "invalid_request_error" } });
  });

  it("outside the gateway and control prefixes: a Cloudflare API 404", async () => {
    const response = await send("/elsewhere", "GET");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ success: false, errors: [{ code: 7000 }] });
  });
});

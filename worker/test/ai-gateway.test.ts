import { beforeEach, describe, expect, it } from "vitest";

// In the worker project every outbound fetch goes to the AI Gateway emulator (see
// vitest.worker.config.ts): Worker code calls the real gateway hostname and gets the fake.
const GATEWAY = "https://gateway.ai.cloudflare.com";
const ANTHROPIC = `${GATEWAY}/v1/moltlab-account/moltlab-gateway/anthropic`;

const control = (path: string, init?: RequestInit) => fetch(`${GATEWAY}/__moltlab/${path}`, init);

beforeEach(async () => {
  expect((await control("reset", { method: "POST" })).status).toBe(200);
});

describe("AI Gateway emulator as the Worker's outbound service", () => {
  it("answers a fetch to gateway.ai.cloudflare.com from inside workerd, streaming SSE", async () => {
    const scenarios = [{ match: { userText: "ping" }, reply: { text: "pong from the fake gateway" } }];
    expect((await control("scenarios", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(scenarios) })).status).toBe(200);

    const response = await fetch(`${ANTHROPIC}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "sk-workerd", "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-test", max_tokens: 32, stream: true, messages: [{ role: "user", content: "ping" }] }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const body = await response.text();
    expect(body).toMatch(/^event: message_start\n/);
    // The reply arrives as text_delta events; joined, they are the scripted text.
    const deltas = [...body.matchAll(/"type":"text_delta","text":"([^"]*)"/g)].map((match) => match[1]).join("");
    expect(deltas).toBe("pong from the fake gateway");
    expect(body.trimEnd()).toMatch(/event: message_stop\ndata: \{"type":"message_stop"\}$/);

    const { requests } = (await (await control("log")).json()) as { requests: { provider: string; stream: boolean; status: number }[] };
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ provider: "anthropic", stream: true, status: 200 });
    expect(JSON.stringify(requests)).not.toContain("sk-workerd");
  });

  it("gives a request without a provider key the provider's own 401", async () => {
    const response = await fetch(`${ANTHROPIC}/v1/messages`, {
      method: "POST",
      headers: { "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-test", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
  });
});

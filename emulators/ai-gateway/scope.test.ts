import Anthropic, { type APIError as AnthropicAPIError } from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SCOPE_HEADER, startAiGateway, type LoggedRequest, type StartedAiGateway } from "./index.ts";

let gateway: StartedAiGateway;

beforeAll(async () => {
  gateway = await startAiGateway({ scenarios: [{ name: "shared", match: { userText: "shared" }, reply: { text: "From the gateway." } }] });
});
afterAll(() => gateway.stop());
beforeEach(() => gateway.reset());

/** An SDK client whose every request carries the scope, as a test's client would. */
const clientIn = (scope?: string) =>
  new Anthropic({
    apiKey: "sk-ant-scope",
    baseURL: gateway.baseUrl("anthropic"),
    maxRetries: 0,
    logLevel: "off",
    ...(scope ? { defaultHeaders: { [SCOPE_HEADER]: scope } } : {}),
  });
const ask = (text: string) => ({ model: "claude-test", max_tokens: 20, messages: [{ role: "user" as const, content: text }] });
const textOf = (message: Anthropic.Message) => (message.content[0]?.type === "text" ? message.content[0].text : "");

describe("per-test scopes", () => {
  it("faults and scenarios installed under one scope never reach another scope's concurrent requests, nor unscoped ones", async () => {
    const a = clientIn("test-a");
    const b = clientIn("test-b");
    gateway.inject({ kind: "status", status: 500, times: "always" }, "test-a");
    gateway.load([{ name: "b-only", match: { userText: "hello" }, reply: { text: "Only B hears this." } }], "test-b");

    const results = await Promise.allSettled([
      ...[1, 2, 3].map(() => a.messages.create(ask("hello"))),
      ...[1, 2, 3].map(() => b.messages.create(ask("hello"))),
      clientIn().messages.create(ask("hello")),
    ]);
    expect(results.slice(0, 3).map((result) => result.status)).toEqual(["rejected", "rejected", "rejected"]);
    for (const result of results.slice(0, 3)) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(Anthropic.InternalServerError);
    expect(results.slice(3, 6).map((result) => result.status === "fulfilled" && textOf(result.value))).toEqual([
      "Only B hears this.",
      "Only B hears this.",
      "Only B hears this.",
    ]);
    expect(results[6]!.status === "fulfilled" && textOf(results[6]!.value)).toBe("[moltlab fake] You said: hello");

    // Each sees only its own log entries; an unscoped reader sees unscoped ones; "*" sees all.
    expect(gateway.log.all({ scope: "test-a" }).map((entry) => [entry.scope, entry.status])).toEqual([
      ["test-a", 500],
      ["test-a", 500],
      ["test-a", 500],
    ]);
    expect(gateway.log.all({ scope: "test-b" }).map((entry) => entry.scenario)).toEqual(["b-only", "b-only", "b-only"]);
    expect(gateway.log.all().map((entry) => entry.scope)).toEqual([undefined]);
    expect(gateway.log.count({ scope: "*" })).toBe(7);
  });

  it("a scope falls back to the gateway's scenarios, and its own come first", async () => {
    gateway.load([{ match: { userText: "shared" }, reply: { text: "Overridden in scope." } }], "test-c");
    expect(textOf(await clientIn("test-c").messages.create(ask("shared")))).toBe("Overridden in scope.");
    expect(textOf(await clientIn("test-d").messages.create(ask("shared")))).toBe("From the gateway.");
    expect(textOf(await clientIn().messages.create(ask("shared")))).toBe("From the gateway.");
  });

  it("reset(scope) forgets that scope only: its faults, scenarios and log entries; it also ends its stalls", async () => {
    gateway.inject({ kind: "status", status: 503, times: "always" }, "test-e");
    gateway.load([{ match: { userText: "hello" }, reply: { text: "F stays." } }], "test-f");
    await clientIn("test-f").messages.create(ask("hello"));
    gateway.inject({ kind: "stall", afterChunks: 1 }, "test-e");
    gateway.reset("test-e");
    // The 503 is gone: test-e is a fresh scope again.
    await expect(clientIn("test-e").messages.create(ask("hello"))).resolves.toMatchObject({ type: "message" });
    expect(textOf(await clientIn("test-f").messages.create(ask("hello")))).toBe("F stays.");
    expect(gateway.log.count({ scope: "test-f" })).toBe(2);

    gateway.inject({ kind: "stall", afterChunks: 1 }, "test-e");
    const stream = await clientIn("test-e").messages.create({ ...ask("hello"), stream: true });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of stream) {
        seen.push(event.type);
        if (seen.length === 1) gateway.reset("test-e");
      }
    })();
    await expect(reading).rejects.toThrow();
    expect(seen).toEqual(["message_start"]);
  });

  it("the control API takes the scope as a header or a query parameter", async () => {
    const control = (path: string, init: RequestInit = {}) => fetch(`${gateway.controlUrl}/${path}`, init);
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) => control(path, { method: "POST", headers, body: JSON.stringify(body) });
    expect(await (await post("faults?scope=test-g", { kind: "status", status: 429, retryAfter: 3 })).json()).toEqual({ queued: 1 });
    expect(await (await post("scenarios", [{ reply: { text: "H." } }], { [SCOPE_HEADER]: "test-h" })).json()).toEqual({ loaded: 1 });
    expect(await (await post("settings", { latencyMs: 1 }, { [SCOPE_HEADER]: "test-h" })).json()).toEqual({ settings: { latencyMs: 1 } });

    await expect(clientIn("test-g").messages.create(ask("x"))).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    expect(textOf(await clientIn("test-h").messages.create(ask("x")))).toBe("H.");
    const read = async (query: string) => ((await (await control(`log${query}`)).json()) as { requests: LoggedRequest[] }).requests;
    expect((await read("?scope=test-g")).map((entry) => entry.status)).toEqual([429]);
    expect((await read("?scope=test-h")).map((entry) => entry.status)).toEqual([200]);
    expect(await read("")).toEqual([]);
    expect(await (await control("settings?scope=test-g")).json()).toEqual({ settings: {} });

    expect(await (await post("reset?scope=test-g", {})).json()).toEqual({ ok: true });
    expect(await read("?scope=test-g")).toEqual([]);
    expect(await read("?scope=test-h")).toHaveLength(1);
  });

  it("refuses a malformed scope id with a 400 that says what an id may hold", async () => {
    const control = await fetch(`${gateway.controlUrl}/faults?scope=${encodeURIComponent("no spaces!")}`, {
      method: "POST",
      body: JSON.stringify({ kind: "reset" }),
    });
    expect(control.status).toBe(400);
    expect(((await control.json()) as { error: string }).error).toMatch(/^scope must be 1-128 characters of letters, digits/);
    const error = await clientIn("x".repeat(200))
      .messages.create(ask("hi"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as AnthropicAPIError).message).toContain("x-moltlab-scope must be 1-128 characters");
  });
});

import Anthropic from "@anthropic-ai/sdk";
import OpenAI, { type APIError as OpenAIAPIError } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SCOPE_HEADER, startAiGateway, type StartedAiGateway } from "./index.ts";

let gateway: StartedAiGateway;

beforeAll(async () => {
  gateway = await startAiGateway();
});
afterAll(() => gateway.stop());
// Also ends every latency wait and paced stream a test leaves behind.
beforeEach(() => gateway.reset());

const openaiIn = (scope?: string) =>
  new OpenAI({
    apiKey: "sk-openai-chaos",
    baseURL: gateway.baseUrl("openai"),
    maxRetries: 0,
    logLevel: "off",
    ...(scope ? { defaultHeaders: { [SCOPE_HEADER]: scope } } : {}),
  });
const anthropic = () => new Anthropic({ apiKey: "sk-ant-chaos", baseURL: gateway.baseUrl("anthropic"), maxRetries: 0, logLevel: "off" });
const chat = { model: "gpt-test", messages: [{ role: "user" as const, content: "hello" }] };
const ask = { model: "claude-test", max_tokens: 50, messages: [{ role: "user" as const, content: "hello" }] };

/** Sends `count` requests one after another and returns the status each got. */
async function statuses(client: OpenAI, count: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) {
    seen.push(
      await client.chat.completions.create(chat).then(
        () => 200,
        (error: unknown) => (error as OpenAIAPIError).status ?? 0,
      ),
    );
  }
  return seen;
}

describe("probabilistic faults with a seed", () => {
  it("the same seed gives the same sequence of failures twice; another seed another sequence", async () => {
    const run = async (seed: number) => {
      gateway.reset();
      gateway.configure({ seed });
      gateway.inject({ kind: "status", status: 503, probability: 0.5, times: "always" });
      return statuses(openaiIn(), 16);
    };
    const first = await run(42);
    expect(first).toContain(200);
    expect(first).toContain(503);
    expect(await run(42)).toEqual(first);
    expect(await run(43)).not.toEqual(first);
  });

  it("a scope draws from its own generator: traffic in other scopes does not shift its sequence", async () => {
    const rule = { kind: "status", status: 500, probability: 0.3, times: "always" } as const;
    gateway.configure({ seed: 9 }, "quiet");
    gateway.inject(rule, "quiet");
    const alone = await statuses(openaiIn("quiet"), 10);

    gateway.reset("quiet");
    gateway.configure({ seed: 9 }, "quiet");
    gateway.inject(rule, "quiet");
    gateway.inject(rule, "busy");
    const busy = openaiIn("busy");
    const quiet = openaiIn("quiet");
    const interleaved: number[] = [];
    for (let i = 0; i < 10; i++) {
      await statuses(busy, 2);
      interleaved.push(...(await statuses(quiet, 1)));
    }
    expect(interleaved).toEqual(alone);
  });

  it("probability 0 never strikes and leaves the rule queued; 1 always does", async () => {
    gateway.inject({ kind: "status", status: 500, probability: 0 });
    expect(await statuses(openaiIn(), 3)).toEqual([200, 200, 200]);
    gateway.reset();
    gateway.inject({ kind: "status", status: 500, probability: 1, times: 2 });
    expect(await statuses(openaiIn(), 3)).toEqual([500, 500, 200]);
  });

  it("a scenario's fault and a header's fault can carry a probability too", async () => {
    gateway.load([{ match: { userText: "hello" }, fault: { kind: "status", status: 503, probability: 0 } }]);
    expect(await statuses(openaiIn(), 2)).toEqual([200, 200]);
    const headers = { "x-moltlab-fault": JSON.stringify({ kind: "status", status: 401, probability: 1 }) };
    await expect(openaiIn().chat.completions.create(chat, { headers })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("refuses a probability outside 0..1, and bad settings, with 400 messages naming the field", async () => {
    const post = (path: string, body: unknown) => fetch(`${gateway.controlUrl}/${path}`, { method: "POST", body: JSON.stringify(body) });
    const fault = await post("faults", { kind: "reset", probability: 1.5 });
    expect(fault.status).toBe(400);
    expect(await fault.json()).toEqual({ error: "fault.probability must be a number from 0 to 1" });
    const settings = await post("settings", { latencyMs: -5, seed: 1.5, latency: 3 });
    expect(settings.status).toBe(400);
    const { error } = (await settings.json()) as { error: string };
    expect(error).toContain("settings.latencyMs: must be ≥ 0");
    expect(error).toContain("settings.seed: must be an integer");
    expect(error).toContain('Unrecognized key: "latency"');
    expect(await (await post("faults", { kind: "slow" })).json()).toEqual({ error: "fault (slow) needs latencyMs, chunkIntervalMs or both" });
    expect(await (await post("faults", { kind: "cut", latencyMs: 5 })).json()).toEqual({
      error: 'fault.latencyMs belongs to a "slow" fault (or to a scenario, or the settings), not to a cut fault',
    });
  });
});

describe("added latency and token cadence", () => {
  it("latencyMs holds the headers back: beyond the client's timeout it times out, within it the answer comes", async () => {
    gateway.configure({ latencyMs: 600_000 });
    await expect(anthropic().messages.create(ask, { timeout: 50 })).rejects.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    // A scenario's own latency wins over the settings', and a `slow` fault's over the scenario's.
    gateway.load([{ match: { userText: "hello" }, reply: { text: "Quick." }, latencyMs: 1 }]);
    await expect(anthropic().messages.create(ask)).resolves.toMatchObject({ content: [{ type: "text", text: "Quick." }] });
    gateway.inject({ kind: "slow", latencyMs: 600_000 });
    await expect(anthropic().messages.create(ask, { timeout: 50 })).rejects.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    expect(gateway.log.all().map((entry) => entry.fault)).toEqual([undefined, undefined, "slow"]);
  });

  it("chunkIntervalMs paces the SSE events: the next one waits its turn (here until the reset ends the wait)", async () => {
    gateway.load([{ match: { userText: "hello" }, reply: { text: "one two three four" }, chunkIntervalMs: 600_000 }]);
    const stream = await anthropic().messages.create({ ...ask, stream: true });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of stream) {
        seen.push(event.type);
        gateway.reset();
      }
    })();
    await expect(reading).rejects.toThrow();
    // Without the pause the whole answer would already be in the client's buffer.
    expect(seen).toEqual(["message_start"]);
  });

  it("a paced stream still delivers the whole answer, in order, to the SDK", async () => {
    gateway.configure({ chunkIntervalMs: 2 });
    gateway.load([{ reply: { text: "Paced words arrive one pair at a time." } }]);
    const stream = openaiIn().chat.completions.stream({ ...chat, stream: true });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe("Paced words arrive one pair at a time.");
  });
});

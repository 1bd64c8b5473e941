import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { readCassette } from "./cassette.ts";
import { checkCassette } from "./cassette-check.ts";
import { http } from "msw";
import { setupServer } from "msw/node";
import { AI_GATEWAY_ORIGIN, gatewayBaseUrl } from "./handlers.ts";
import { createAiGatewayState, startAiGateway, tapeHandler, type StartedAiGateway } from "./index.ts";

/**
 * Record and replay without the internet: the upstream is a second emulator standing in for AI
 * Gateway. What the official SDKs see while recording (events, text, raw bytes) they see again
 * from the cassette, with the upstream gone.
 */

const dir = await mkdtemp(path.join(tmpdir(), "moltlab-cassette-sdk-"));
const started: StartedAiGateway[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((gateway) => gateway.stop()));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const start = async (options: Parameters<typeof startAiGateway>[0]) => {
  const gateway = await startAiGateway(options);
  started.push(gateway);
  return gateway;
};

const TEXT = "The quick brown fox jumps over the lazy dog, twice.";
const scenarios = [
  { match: { userText: "weather" }, turns: [{ text: "Checking.", toolCalls: [{ name: "get_weather", input: { city: "Oslo" } }] }, { text: "Cold." }] },
  { reply: { text: TEXT } },
];
/** An upstream with a token cadence, so the cassette has offsets to keep. */
const upstreamGateway = () => start({ scenarios, chunkIntervalMs: 2 });

const anthropicTool = { name: "get_weather", description: "weather", input_schema: { type: "object" as const, properties: { city: { type: "string" } } } };
const openaiTool = { type: "function" as const, function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };

/** A fetch that keeps the raw body text of every answer it passes to the SDK (read from a clone, so the SDK still streams). */
function capturing(raws: Promise<string>[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    raws.push(response.clone().text());
    return response;
  };
}

type Call = (origin: string, fetcher: typeof fetch) => Promise<unknown>;

const anthropic = (origin: string, fetcher: typeof fetch) =>
  new Anthropic({ apiKey: "sk-ant-recording", baseURL: gatewayBaseUrl(origin, "anthropic"), maxRetries: 0, fetch: fetcher });
const openai = (origin: string, fetcher: typeof fetch, provider: "openai" | "compat" | "workers-ai" = "openai") =>
  new OpenAI({
    apiKey: "sk-openai-recording",
    baseURL: `${gatewayBaseUrl(origin, provider)}${provider === "workers-ai" ? "/v1" : ""}`,
    maxRetries: 0,
    fetch: fetcher,
  });
const collect = async (stream: AsyncIterable<unknown>) => {
  const events: unknown[] = [];
  for await (const event of stream) events.push(event);
  return events;
};
const workersRun =
  (stream: boolean): Call =>
  async (origin, fetcher) => {
    const response = await fetcher(`${gatewayBaseUrl(origin, "workers-ai")}/@cf/meta/llama-3.1-8b-instruct`, {
      method: "POST",
      headers: { authorization: "Bearer cf-token", "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hello llama" }], ...(stream ? { stream: true } : {}) }),
    });
    return { status: response.status, body: await response.text() };
  };

/** Every provider path the emulator serves, streamed and not. */
const CALLS: Record<string, Call> = {
  "anthropic json": (origin, f) => anthropic(origin, f).messages.create({ model: "claude-x", max_tokens: 64, messages: [{ role: "user", content: "hi" }] }),
  "anthropic stream with a tool call": async (origin, f) =>
    collect(
      await anthropic(origin, f).messages.create({
        model: "claude-x",
        max_tokens: 64,
        stream: true,
        tools: [anthropicTool],
        messages: [{ role: "user", content: "weather in Oslo?" }],
      }),
    ),
  "openai chat json": (origin, f) => openai(origin, f).chat.completions.create({ model: "gpt-x", messages: [{ role: "user", content: "hi" }] }),
  "openai chat stream with usage": async (origin, f) =>
    collect(
      await openai(origin, f).chat.completions.create({
        model: "gpt-x",
        stream: true,
        stream_options: { include_usage: true },
        tools: [openaiTool],
        messages: [{ role: "user", content: "weather?" }],
      }),
    ),
  "openai responses json": (origin, f) => openai(origin, f).responses.create({ model: "gpt-x", input: "hi" }),
  "openai responses stream": async (origin, f) => collect(await openai(origin, f).responses.create({ model: "gpt-x", input: "tell me", stream: true })),
  "compat stream": async (origin, f) =>
    collect(
      await openai(origin, f, "compat").chat.completions.create({ model: "anthropic/claude-x", stream: true, messages: [{ role: "user", content: "hi" }] }),
    ),
  "workers-ai chat json": (origin, f) =>
    openai(origin, f, "workers-ai").chat.completions.create({ model: "@cf/meta/llama-3.1-8b-instruct", messages: [{ role: "user", content: "hi" }] }),
  "workers-ai run json": workersRun(false),
  "workers-ai run stream": workersRun(true),
};

async function runAll(origin: string): Promise<{ seen: Record<string, unknown>; raw: Record<string, string> }> {
  const seen: Record<string, unknown> = {};
  const raw: Record<string, string> = {};
  for (const [name, call] of Object.entries(CALLS)) {
    const raws: Promise<string>[] = [];
    seen[name] = await call(origin, capturing(raws));
    expect(raws, name).toHaveLength(1);
    raw[name] = await raws[0]!;
  }
  return { seen, raw };
}

describe("cassettes: record through a stand-in upstream, replay offline", { timeout: 30_000 }, () => {
  it("replays to the official SDKs exactly what they saw while recording, every provider path, streamed and not", async () => {
    const file = path.join(dir, "all-paths.json");
    const upstream = await upstreamGateway();
    const recorder = await start({ record: { to: file, upstream: upstream.url } });
    const recorded = await runAll(recorder.url);
    await recorder.flushed();
    expect(upstream.log.count()).toBe(Object.keys(CALLS).length);
    // The SDKs saw real answers from the upstream, not something the recorder made up.
    expect(JSON.stringify(recorded.seen["anthropic json"])).toContain(TEXT);
    expect(recorded.raw["anthropic stream with a tool call"]).toContain('"input_json_delta"');
    await Promise.all(started.splice(0).map((gateway) => gateway.stop()));

    const cassette = await readCassette(file);
    expect(cassette.exchanges).toHaveLength(Object.keys(CALLS).length);
    const streamed = cassette.exchanges.find((exchange) => exchange.request.path === "anthropic/v1/messages" && exchange.request.stream)!;
    expect(streamed.request.tools).toEqual([anthropicTool]);
    const offsets = streamed.response.events!.map((event) => event.at);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(streamed.response.events!.map((event) => event.sse).join("")).toBe(recorded.raw["anthropic stream with a tool call"]);

    // Upstream stopped: the replay can only come from the file.
    const replay = await start({ cassette: file });
    const replayed = await runAll(replay.url);
    expect(replayed.raw).toEqual(recorded.raw);
    expect(replayed.seen).toEqual(recorded.seen);
    expect(replay.log.all().map((entry) => entry.status)).toEqual(Object.keys(CALLS).map(() => 200));

    const fast = await start({ cassette: { file, timing: "fast" } });
    expect((await runAll(fast.url)).raw).toEqual(recorded.raw);
  });

  it("never writes a key: headers, cf-aig-* secrets and body fields named like a key are left out", async () => {
    const file = path.join(dir, "secrets.json");
    const upstream = await upstreamGateway();
    const recorder = await start({ record: { to: file, upstream: upstream.url } });
    const secrets = ["sk-ant-HEADER-SECRET-1", "GATEWAY-TOKEN-SECRET-2", "BODY-KEY-SECRET-3", "NESTED-PASSWORD-SECRET-4", "BYOK-ALIAS-TOKEN-5"];
    const response = await fetch(`${recorder.baseUrl("anthropic")}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": secrets[0]!,
        "cf-aig-authorization": `Bearer ${secrets[1]}`,
        "cf-aig-custom-token": secrets[4]!,
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
      },
      body: JSON.stringify({
        model: "claude-x",
        max_tokens: 8,
        api_key: secrets[2],
        metadata: { user_id: "u1", db: { password: secrets[3] } },
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(response.status).toBe(200);
    // The upstream did get the key: it is the client's to send, only not the cassette's to keep.
    expect(upstream.log.last()!.body).toMatchObject({ api_key: secrets[2] });
    await recorder.flushed();
    const text = await readFile(file, "utf8");
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/x-api-key|cf-aig-authorization|cf-aig-custom-token/);
    expect((await readCassette(file)).exchanges[0]!.request.parameters).toMatchObject({
      api_key: "[redacted]",
      metadata: { user_id: "u1", db: { password: "[redacted]" } },
    });
  });

  it("answers a request it has not recorded with a 4xx in the gateway's error shape naming the closest recording and the first difference", async () => {
    const file = path.join(dir, "strict.json");
    const upstream = await upstreamGateway();
    const recorder = await start({ record: { to: file, upstream: upstream.url } });
    const client = anthropic(recorder.url, fetch);
    await client.messages.create({ model: "claude-x", max_tokens: 8, messages: [{ role: "user", content: "first question" }] });
    await client.messages.create({ model: "claude-x", max_tokens: 8, messages: [{ role: "user", content: "second question" }] });
    await recorder.flushed();
    const replay = await start({ cassette: file });
    const post = (body: unknown) =>
      fetch(`${replay.baseUrl("anthropic")}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": "k", "anthropic-version": "2023-06-01" },
        body: JSON.stringify(body),
      });
    const miss = await post({ model: "claude-x", max_tokens: 8, messages: [{ role: "user", content: "second questions" }] });
    expect(miss.status).toBe(404);
    const error = (await miss.json()) as { name: string; success: boolean; error: { code: number; message: string }[] };
    expect(error).toMatchObject({ name: "AiGatewayError", success: false });
    expect(error.error[0]!.message).toContain(`moltlab cassette ${file}: no recorded exchange matches POST anthropic/v1/messages model "claude-x"`);
    expect(error.error[0]!.message).toContain('first difference at messages[0].content: recorded "second question", got "second questions"');
    expect(error.error[0]!.message).toContain("--record-on-miss");
    const otherModel = await post({ model: "claude-y", max_tokens: 8, messages: [{ role: "user", content: "first question" }] });
    expect(((await otherModel.json()) as { message: string }).message).toContain('first difference at model: recorded "claude-x", got "claude-y"');
    // The SDK sees it as an error, not as an answer; the upstream saw nothing after recording.
    await expect(
      anthropic(replay.url, fetch).messages.create({ model: "claude-x", max_tokens: 8, messages: [{ role: "user", content: "new" }] }),
    ).rejects.toThrow(/no recorded exchange matches/);
    expect(upstream.log.count()).toBe(2);
    const notJson = await fetch(`${replay.baseUrl("anthropic")}/v1/messages`, { method: "POST", headers: { "x-api-key": "k" }, body: "{oops" });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { name: string; message: string }).message).toMatch(/the request body is not a JSON object/);
    // Parameters are not compared: another max_tokens still matches.
    expect((await post({ model: "claude-x", max_tokens: 99, messages: [{ role: "user", content: "first question" }] })).status).toBe(200);
  });

  it("flushed() waits for answers still streaming, so a stop never loses the last exchange", async () => {
    const file = path.join(dir, "flush.json");
    const upstream = await start({ scenarios, chunkIntervalMs: 20 });
    const recorder = await start({ record: { to: file, upstream: upstream.url } });
    // Headers only: the body is still on its way when flushed() is asked.
    const response = await fetch(`${recorder.baseUrl("openai")}/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer k" },
      body: JSON.stringify({ model: "gpt-x", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    await recorder.flushed();
    const [exchange] = (await readCassette(file)).exchanges;
    expect(exchange!.response.events!.map((event) => event.sse).join("")).toBe(await response.text());
  });

  it("identical requests recorded twice answer in the order recorded, then the last repeats", async () => {
    const file = path.join(dir, "repeats.json");
    const upstream = await start({ scenarios: [{ turns: [{ text: "one" }] }] });
    const recorder = await start({ record: { to: file, upstream: upstream.url } });
    const ask = async (origin: string) =>
      (await anthropic(origin, fetch).messages.create({ model: "claude-x", max_tokens: 8, messages: [{ role: "user", content: "again" }] })).content;
    await ask(recorder.url);
    upstream.load([{ reply: { text: "two" } }]);
    await ask(recorder.url);
    await recorder.flushed();
    const replay = await start({ cassette: file });
    const texts = [];
    for (let i = 0; i < 3; i++) texts.push(((await ask(replay.url))[0] as { text: string }).text);
    expect(texts).toEqual(["one", "two", "two"]);
    replay.reset();
    expect(((await ask(replay.url))[0] as { text: string }).text).toBe("one");
  });

  it("--record-on-miss forwards a miss upstream and extends the cassette, which then answers it offline", async () => {
    const file = path.join(dir, "extend.json");
    const upstream = await upstreamGateway();
    const recorder = await start({ record: { to: file, upstream: upstream.url } });
    await anthropic(recorder.url, fetch).messages.create({ model: "claude-x", max_tokens: 8, messages: [{ role: "user", content: "known" }] });
    await recorder.flushed();
    const extending = await start({ cassette: { file, recordOnMiss: true, upstream: upstream.url } });
    const fresh = await anthropic(extending.url, fetch).messages.create({ model: "claude-x", max_tokens: 8, messages: [{ role: "user", content: "unknown" }] });
    await extending.flushed();
    expect(upstream.log.count()).toBe(2);
    expect((await readCassette(file)).exchanges.map((exchange) => exchange.request.messages)).toEqual([
      [{ role: "user", content: "known" }],
      [{ role: "user", content: "unknown" }],
    ]);
    await upstream.stop();
    const offline = await start({ cassette: file });
    expect(await anthropic(offline.url, fetch).messages.create({ model: "claude-x", max_tokens: 8, messages: [{ role: "user", content: "unknown" }] })).toEqual(
      fresh,
    );
  });

  it("replays in-process too: tapeHandler behind msw answers at the real gateway hostname", async () => {
    const file = path.join(dir, "in-process.json");
    const upstream = await upstreamGateway();
    const recorder = await start({ record: { to: file, upstream: upstream.url } });
    const live = await anthropic(recorder.url, fetch).messages.create({ model: "claude-x", max_tokens: 8, messages: [{ role: "user", content: "hi" }] });
    await recorder.flushed();
    const tape = await tapeHandler(createAiGatewayState(), { replay: { file, timing: "fast" } });
    const server = setupServer(http.all("*", ({ request }) => tape.handle(request)));
    server.listen({ onUnhandledFrame: "error" });
    try {
      const replayed = await anthropic(AI_GATEWAY_ORIGIN, fetch).messages.create({
        model: "claude-x",
        max_tokens: 8,
        messages: [{ role: "user", content: "hi" }],
      });
      expect(replayed).toEqual(live);
    } finally {
      server.close();
    }
  });

  it("refuses a cassette that is not there or broken at start, naming the file", async () => {
    await expect(startAiGateway({ cassette: path.join(dir, "nope.json") })).rejects.toThrow(/nope\.json does not exist; record one with/);
    const broken = path.join(dir, "broken.json");
    await writeFile(broken, '{"version": 1, "exchanges": [');
    await expect(startAiGateway({ cassette: broken })).rejects.toThrow(/broken\.json is not valid JSON/);
    await expect(startAiGateway({ cassette: { file: broken, recordOnMiss: true } })).rejects.toThrow(/recordOnMiss needs an upstream/);
  });

  it("a recorder whose upstream does not answer says so in the gateway's shape", async () => {
    const gone = await start({});
    const url = gone.url;
    await gone.stop();
    started.splice(0);
    const recorder = await start({ record: { to: path.join(dir, "unreachable.json"), upstream: url } });
    const response = await fetch(`${recorder.baseUrl("openai")}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "gpt-x", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { message: string }).message).toMatch(/moltlab record: the upstream http:\/\/127\.0\.0\.1:\d+ did not answer/);
  });
});

describe("record --check: answers that changed shape, not wording", { timeout: 30_000 }, () => {
  it("reports the same shape for new wording, and names a changed status, event types and fields", async () => {
    const file = path.join(dir, "drift.json");
    const upstream = await upstreamGateway();
    const recorder = await start({ record: { to: file, upstream: upstream.url } });
    await runAll(recorder.url);
    await recorder.flushed();
    const total = Object.keys(CALLS).length;

    upstream.load([
      { match: { userText: "weather" }, turns: [{ text: "Let me look that up.", toolCalls: [{ name: "get_weather", input: { city: "Bergen" } }] }] },
      { reply: { text: "Entirely different words this time around." } },
    ]);
    const reworded = await checkCassette(file, { upstream: upstream.url, credentials: { anthropic: "k", openai: "k", workersAi: "k" } });
    expect(reworded.results.map((result) => result.changes)).toEqual(Array.from({ length: total }, () => []));
    expect(reworded.changed).toBe(0);

    // Now the tool-calling prompts get plain text (other event types), and Anthropic is overloaded.
    upstream.load([{ reply: { text: "No tools today." } }]);
    upstream.inject({ kind: "status", status: 529, match: { provider: "anthropic" }, times: 1 });
    const drifted = await checkCassette(file, { upstream: upstream.url, credentials: { anthropic: "k", openai: "k", workersAi: "k" } });
    const byName = Object.fromEntries(Object.keys(CALLS).map((name, index) => [name, drifted.results[index]!.changes.join("\n")]));
    expect(byName["anthropic json"]).toContain("status 200 → 529");
    expect(byName["anthropic json"]).toContain("field body.content is gone");
    expect(byName["anthropic stream with a tool call"]).toMatch(/field content_block_delta\.delta\.partial_json is gone/);
    expect(byName["openai chat stream with usage"]).toMatch(/field chat\.completion\.chunk\.choices\[\]\.delta\.tool_calls is gone/);
    expect(byName["openai responses json"]).toBe("");
    expect(drifted.changed).toBe(3);
  });
});

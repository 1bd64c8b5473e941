import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CASSETTE_VERSION,
  CassetteError,
  formatCassette,
  isSecretName,
  normalizeRequest,
  parseCassette,
  readCassette,
  redact,
  requestBody,
  writeCassette,
  type Cassette,
  type Exchange,
} from "./cassette.ts";

const dir = await mkdtemp(path.join(tmpdir(), "moltlab-cassette-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

const exchange = (overrides: Partial<Exchange["request"]> = {}): Exchange => ({
  request: {
    method: "POST",
    path: "anthropic/v1/messages",
    provider: "anthropic",
    model: "claude-x",
    stream: true,
    messages: [{ role: "user", content: "hi" }],
    parameters: { max_tokens: 16 },
    headers: { "anthropic-version": "2023-06-01" },
    ...overrides,
  },
  response: {
    status: 200,
    headersAt: 3,
    headers: { "content-type": "text/event-stream; charset=utf-8" },
    events: [{ at: 4, sse: 'event: ping\ndata: {"type":"ping"}\n\n' }],
  },
});

const cassette = (...exchanges: Exchange[]): Cassette => ({ version: CASSETTE_VERSION, exchanges });

describe("cassette format", () => {
  it("writes pretty-printed JSON that reads back equal, one field per line", async () => {
    const file = path.join(dir, "round-trip.json");
    const original = cassette(exchange(), exchange({ path: "openai/responses", provider: "openai", stream: false }));
    await writeCassette(file, original);
    const text = await readFile(file, "utf8");
    expect(text).toBe(formatCassette(original));
    expect(text).toContain('\n      "request": {\n');
    expect(await readCassette(file)).toEqual(original);
  });

  it("names the file and the line of invalid JSON, and says a truncated file is truncated", () => {
    const text = formatCassette(cassette(exchange()));
    const broken = text.replace('"model": "claude-x",', '"model": "claude-x",,');
    const line = text.split("\n").findIndex((l) => l.includes('"model"')) + 1;
    expect(() => parseCassette(broken, "tapes/a.json")).toThrow(new RegExp(`cassette tapes/a.json is not valid JSON at line ${line}`));
    expect(() => parseCassette(text.slice(0, text.length / 2), "tapes/a.json")).toThrow(/cassette tapes\/a\.json is not valid JSON .*re-record it/);
    expect(() => parseCassette("", "tapes/a.json")).toThrow(CassetteError);
  });

  it("refuses an unknown version, naming both", () => {
    expect(() => parseCassette(JSON.stringify({ version: 7, exchanges: [] }), "v7.json")).toThrow(
      /cassette v7\.json has format version 7; this moltlab reads version 1 only/,
    );
    expect(() => parseCassette(JSON.stringify({ exchanges: [] }), "none.json")).toThrow(/cassette none\.json: version: /);
  });

  it("names the exchange and its line for a bad entry or another provider's path", () => {
    const text = formatCassette(cassette(exchange(), exchange({ path: "google-ai-studio/v1/models", provider: "anthropic" })));
    const line = text.split("\n").lastIndexOf("    {") + 1;
    expect(() => parseCassette(text, "c.json")).toThrow(
      new RegExp(`cassette c\\.json, exchange 1 \\(line ${line}\\): provider path "google-ai-studio/v1/models" is not one the AI Gateway emulator serves`),
    );
    const mismatched = formatCassette(cassette(exchange({ path: "openai/chat/completions" })));
    expect(() => parseCassette(mismatched, "c.json")).toThrow(
      /exchange 0 \(line 4\): path "openai\/chat\/completions" belongs to provider openai, not anthropic/,
    );
    const missing = JSON.parse(formatCassette(cassette(exchange()))) as { exchanges: { response: { status?: number } }[] };
    delete missing.exchanges[0]!.response.status;
    expect(() => parseCassette(JSON.stringify(missing), "c.json")).toThrow(/exchange 0 .*exchanges\.0\.response\.status/);
  });

  it("says how to make a cassette that does not exist, and starts an empty one for recording", async () => {
    const file = path.join(dir, "absent.json");
    await expect(readCassette(file)).rejects.toThrow(`cassette ${file} does not exist; record one with \`moltlab record --to ${file}\``);
    expect(await readCassette(file, { missingIsEmpty: true })).toEqual(cassette());
  });
});

describe("secrets", () => {
  it("knows names that hold credentials and spares token counts", () => {
    for (const name of ["api_key", "apiKey", "x-api-key", "token", "access_token", "clientSecret", "password", "db_password_hint", "authorization"]) {
      expect(isSecretName(name), name).toBe(true);
    }
    for (const name of ["max_tokens", "max_output_tokens", "model", "keywords", "monkey_business", "tokenizer"]) expect(isSecretName(name), name).toBe(false);
  });

  it("redacts string values of secret-named fields at any depth, keeping schemas that merely describe one", () => {
    expect(
      redact({ api_key: "sk-1", nested: [{ token: "t" }], max_tokens: 5, tools: [{ input_schema: { properties: { password: { type: "string" } } } }] }),
    ).toEqual({
      api_key: "[redacted]",
      nested: [{ token: "[redacted]" }],
      max_tokens: 5,
      tools: [{ input_schema: { properties: { password: { type: "string" } } } }],
    });
  });

  it("normalizes a request without its key headers and rebuilds the body it was sent with", () => {
    const headers = new Headers({
      "x-api-key": "sk-secret",
      "anthropic-version": "2023-06-01",
      "cf-aig-authorization": "Bearer gw",
      authorization: "Bearer a",
    });
    const body = { model: "claude-x", max_tokens: 9, stream: true, system: "be brief", messages: [{ role: "user", content: "hi" }], tools: [{ name: "t" }] };
    const normalized = normalizeRequest("anthropic/v1/messages", body, headers, { account: "acct", gateway: "gw" })!;
    expect(normalized).toEqual({
      method: "POST",
      path: "anthropic/v1/messages",
      provider: "anthropic",
      account: "acct",
      gateway: "gw",
      model: "claude-x",
      stream: true,
      messages: body.messages,
      tools: body.tools,
      parameters: { max_tokens: 9, system: "be brief" },
      headers: { "anthropic-version": "2023-06-01" },
    });
    expect(requestBody(normalized)).toEqual(body);
    const responses = normalizeRequest("openai/responses", { model: "gpt-x", input: "hello", instructions: "brief" }, new Headers())!;
    expect(responses).toMatchObject({ messages: "hello", parameters: { instructions: "brief" } });
    expect(requestBody(responses)).toEqual({ model: "gpt-x", input: "hello", instructions: "brief" });
    const run = normalizeRequest("workers-ai/@cf/meta/llama", { prompt: "hey" }, new Headers())!;
    expect(run).toMatchObject({ model: "@cf/meta/llama", messages: "hey" });
    expect(requestBody(run)).toEqual({ prompt: "hey" });
    expect(normalizeRequest("bedrock/invoke", {}, new Headers())).toBeUndefined();
  });
});

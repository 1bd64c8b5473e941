import { readFile, rename, writeFile } from "node:fs/promises";
import { z } from "zod";
import type { Provider } from "./types.ts";

/**
 * Cassettes: model traffic recorded once through the gateway, answered again offline (see
 * README "Cassettes"). One pretty-printed JSON file, `{version, exchanges: [...]}`, one key per
 * line, so a re-recording shows in `git diff` as the fields that changed.
 *
 * Nothing secret is ever written: request headers are kept only from a short list of
 * non-secret ones, and any JSON field named like a key, token, secret or password holds
 * `"[redacted]"` instead of its string value (see `redact`).
 */

export const CASSETTE_VERSION = 1;

/** The provider paths a cassette may hold: every model route the emulator serves. */
const PROVIDER_PATHS: { provider: Provider; pattern: RegExp }[] = [
  { provider: "anthropic", pattern: /^anthropic\/v1\/messages$/ },
  { provider: "openai", pattern: /^openai\/(chat\/completions|responses)$/ },
  { provider: "compat", pattern: /^compat\/chat\/completions$/ },
  { provider: "workers-ai", pattern: /^workers-ai\/(v1\/chat\/completions|(run\/)?@cf\/.+)$/ },
];

/** The provider of a path after `/v1/{account}/{gateway}/`, or undefined when no model route serves it. */
export function providerOfPath(path: string): Provider | undefined {
  return PROVIDER_PATHS.find((route) => route.pattern.test(path))?.provider;
}

const json = z.json();

const requestSchema = z.strictObject({
  method: z.literal("POST"),
  /** Provider path, after `/v1/{account}/{gateway}/`: `anthropic/v1/messages`, `workers-ai/@cf/meta/llama-3.1-8b-instruct`. */
  path: z.string().min(1),
  provider: z.enum(["anthropic", "openai", "compat", "workers-ai"]),
  account: z.string().optional(),
  gateway: z.string().optional(),
  model: z.string(),
  stream: z.boolean(),
  /** `messages` (Anthropic, Chat Completions, Workers AI), `input` (Responses) or `prompt` (Workers AI run), as sent. */
  messages: json.optional(),
  tools: json.optional(),
  /** Every other body field (max_tokens, temperature, system, instructions, …), redacted. */
  parameters: z.record(z.string(), json),
  /** Non-secret request headers the upstream needs again (anthropic-version, anthropic-beta, content-type). */
  headers: z.record(z.string(), z.string()),
});

const eventSchema = z.strictObject({
  /** Milliseconds from the request being sent upstream to this event having arrived whole. */
  at: z.number().min(0),
  /** The event's bytes exactly as received, e.g. `event: ping\ndata: {"type":"ping"}\n\n`. */
  sse: z.string(),
});

const responseSchema = z.strictObject({
  status: z.number().int().min(100).max(599),
  /** Milliseconds from the request being sent upstream to the response headers. */
  headersAt: z.number().min(0),
  headers: z.record(z.string(), z.string()),
  /** Streamed answers: every SSE event with its time offset. */
  events: z.array(eventSchema).optional(),
  /** A JSON body that re-serialises to the exact bytes received (JSON.stringify). */
  json: json.optional(),
  /** Any other body, as text. */
  text: z.string().optional(),
});

const exchangeSchema = z.strictObject({ request: requestSchema, response: responseSchema });

const cassetteSchema = z.strictObject({
  version: z.number(),
  exchanges: z.array(z.unknown()),
});

export type CassetteRequest = z.infer<typeof requestSchema>;
export type CassetteResponse = z.infer<typeof responseSchema>;
export type Exchange = z.infer<typeof exchangeSchema>;
export interface Cassette {
  version: typeof CASSETTE_VERSION;
  exchanges: Exchange[];
}

/** A cassette that cannot be used: the message names the file, the line or entry, and the fix. */
export class CassetteError extends Error {
  override name = "CassetteError";
}

const FIX = "re-record it with `moltlab record --to <file>`, or restore it from version control";

/** Reads and checks a cassette. A missing file is an error unless `missingIsEmpty` (recording into a new file). */
export async function readCassette(file: string, { missingIsEmpty = false } = {}): Promise<Cassette> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      if (missingIsEmpty) return { version: CASSETTE_VERSION, exchanges: [] };
      throw new CassetteError(`cassette ${file} does not exist; record one with \`moltlab record --to ${file}\``);
    }
    throw error;
  }
  return parseCassette(text, file);
}

export function parseCassette(text: string, file: string): Cassette {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message)?.[1];
    const at = position === undefined ? (text.trim() ? "at the end (truncated?)" : "(empty file)") : `at line ${lineOf(text, Number(position))}`;
    throw new CassetteError(`cassette ${file} is not valid JSON ${at}: ${message}; ${FIX}`);
  }
  const top = cassetteSchema.safeParse(raw);
  if (!top.success) throw new CassetteError(`cassette ${file}: ${describeIssues(top.error, [])}; ${FIX}`);
  if (top.data.version !== CASSETTE_VERSION) {
    throw new CassetteError(
      `cassette ${file} has format version ${top.data.version}; this moltlab reads version ${CASSETTE_VERSION} only; re-record it with \`moltlab record --to ${file}\``,
    );
  }
  const exchanges = top.data.exchanges.map((entry, index) => {
    const where = `cassette ${file}, exchange ${index} (line ${lineOfEntry(text, index)})`;
    const parsed = exchangeSchema.safeParse(entry);
    if (!parsed.success) throw new CassetteError(`${where}: ${describeIssues(parsed.error, ["exchanges", String(index)])}; ${FIX}`);
    const { path, provider } = parsed.data.request;
    const served = providerOfPath(path);
    if (served === undefined) throw new CassetteError(`${where}: provider path "${path}" is not one the AI Gateway emulator serves; ${FIX}`);
    if (served !== provider) throw new CassetteError(`${where}: path "${path}" belongs to provider ${served}, not ${provider}; ${FIX}`);
    return parsed.data;
  });
  return { version: CASSETTE_VERSION, exchanges };
}

function describeIssues(error: z.ZodError, prefix: string[]): string {
  return error.issues.map((issue) => `${[...prefix, ...issue.path.map(String)].join(".") || "(top)"}: ${issue.message}`).join("; ");
}

function lineOf(text: string, position: number): number {
  return text.slice(0, position).split("\n").length;
}

/** Line where exchange `index` starts in a pretty-printed cassette (an estimate for hand-edited files). */
function lineOfEntry(text: string, index: number): number {
  const lines = text.split("\n");
  let seen = -1;
  for (const [number, line] of lines.entries()) {
    if (/^ {4}\{\s*$/.test(line) && ++seen === index) return number + 1;
  }
  return 1;
}

/** The cassette as written to disk: stable key order, two-space indent, a final newline. */
export function formatCassette(cassette: Cassette): string {
  return `${JSON.stringify({ version: cassette.version, exchanges: cassette.exchanges }, null, 2)}\n`;
}

/** Writes atomically (temp file, then rename), so a reader never sees half a cassette. */
export async function writeCassette(file: string, cassette: Cassette): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, formatCassette(cassette));
  await rename(temp, file);
}

/** A field name that holds a credential: the last word is key/token/secret/password…, or any word is secret/password. */
export function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const last = words.at(-1) ?? "";
  return (
    ["key", "apikey", "token", "secret", "password", "passwd", "authorization", "credential", "credentials", "cookie"].includes(last) ||
    words.some((word) => word === "secret" || word === "password" || word === "apikey")
  );
}

export const REDACTED = "[redacted]";

/** A copy of a JSON value with every string or number held by a secret-named field replaced by `[redacted]`. */
export function redact(value: unknown): z.infer<typeof json> {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([name, field]) => [
        name,
        isSecretName(name) && (typeof field === "string" || typeof field === "number") ? REDACTED : redact(field),
      ]),
    );
  }
  return (value ?? null) as z.infer<typeof json>;
}

/** Request headers worth replaying upstream; nothing else (keys, cookies, cf-aig-*) is ever written. */
const KEPT_REQUEST_HEADERS = new Set(["content-type", "anthropic-version", "anthropic-beta", "openai-beta"]);

/** Response headers that matter to a client; the gateway's per-request ids are made afresh on replay. */
const KEPT_RESPONSE_HEADER = /^(content-type|cache-control|retry-after|request-id|x-request-id|anthropic-ratelimit-.+|x-ratelimit-.+|openai-processing-ms)$/;

export function keptRequestHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (KEPT_REQUEST_HEADERS.has(name) && !isSecretName(name)) kept[name] = value;
  });
  return kept;
}

export function keptResponseHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (KEPT_RESPONSE_HEADER.test(name) && !isSecretName(name)) kept[name] = value;
  });
  return kept;
}

/** Which body field holds the conversation on this path. */
function messagesField(path: string, body: Record<string, unknown>): string {
  if (path.endsWith("/responses")) return "input";
  return body.messages === undefined && body.prompt !== undefined ? "prompt" : "messages";
}

/**
 * A request as a cassette holds it. The model comes from the path on Workers AI's run API;
 * `messages` is the body's conversation field, `tools` its tools, the rest `parameters`.
 */
export function normalizeRequest(
  path: string,
  body: unknown,
  headers: Headers,
  where: { account?: string; gateway?: string } = {},
): CassetteRequest | undefined {
  const provider = providerOfPath(path);
  if (!provider || !body || typeof body !== "object" || Array.isArray(body)) return undefined;
  const clean = redact(body) as Record<string, z.infer<typeof json>>;
  const field = messagesField(path, clean);
  const { model, stream, tools, [field]: messages, ...parameters } = clean;
  const runModel = /^workers-ai\/(?:run\/)?(@cf\/.+)$/.exec(path)?.[1];
  return {
    method: "POST",
    path,
    provider,
    ...(where.account ? { account: where.account } : {}),
    ...(where.gateway ? { gateway: where.gateway } : {}),
    model: runModel ?? (typeof model === "string" ? model : ""),
    stream: stream === true,
    ...(messages !== undefined ? { messages } : {}),
    ...(tools !== undefined ? { tools } : {}),
    parameters: { ...parameters, ...(stream !== undefined && typeof stream !== "boolean" ? { stream } : {}) },
    headers: keptRequestHeaders(headers),
  };
}

/** The JSON body a recorded request was sent with (secrets stay redacted): what `record --check` sends again. */
export function requestBody(request: CassetteRequest): Record<string, unknown> {
  const field = request.path.endsWith("/responses") ? "input" : typeof request.messages === "string" && request.path.includes("@cf/") ? "prompt" : "messages";
  const runApi = /^workers-ai\/(?:run\/)?@cf\//.test(request.path);
  return {
    ...(runApi ? {} : { model: request.model }),
    ...(request.messages !== undefined ? { [field]: request.messages } : {}),
    ...(request.tools !== undefined ? { tools: request.tools } : {}),
    ...request.parameters,
    ...(request.stream ? { stream: true } : {}),
  };
}

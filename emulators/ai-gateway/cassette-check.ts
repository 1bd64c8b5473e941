import { readCassette, requestBody, type CassetteRequest, type CassetteResponse } from "./cassette.ts";
import { upstreamOrigin } from "./cassette-record.ts";
import { DEFAULT_ACCOUNT, DEFAULT_GATEWAY } from "./handlers.ts";
import { SseSplitter, sseData, sseEventType } from "./sse-split.ts";

/**
 * Drift check: sends every recorded request to the upstream again and compares the *shape* of
 * the answer with the recorded one — status, the sequence of SSE event types (repeats collapsed,
 * so a longer answer with more deltas is the same shape), and the JSON field names and types
 * (of the body, or of each event type's data). Wording, ids, numbers and timings are ignored.
 */

/** Provider keys for the re-sent requests: cassettes hold none. */
export interface CheckCredentials {
  anthropic?: string;
  openai?: string;
  /** Cloudflare API token for Workers AI. */
  workersAi?: string;
  /** `cf-aig-authorization` for an authenticated gateway. */
  gateway?: string;
}

export interface CheckOptions {
  upstream?: string;
  credentials?: CheckCredentials;
}

export interface CheckResult {
  index: number;
  request: string;
  /** Empty when the answer kept its shape. */
  changes: string[];
}

export interface CheckReport {
  file: string;
  results: CheckResult[];
  changed: number;
}

/** The shape of a response: status, event types, field paths with their JSON types. */
interface Shape {
  status: number;
  events: string[];
  fields: Map<string, Set<string>>;
}

export async function checkCassette(file: string, options: CheckOptions = {}): Promise<CheckReport> {
  const cassette = await readCassette(file);
  const origin = upstreamOrigin(options.upstream);
  const results: CheckResult[] = [];
  for (const [index, { request, response }] of cassette.exchanges.entries()) {
    const label = `exchange ${index}: POST ${request.path} ${request.model}${request.stream ? " (stream)" : ""}`;
    let now: Shape;
    try {
      now = await fetchShape(origin, request, options.credentials ?? {});
    } catch (error) {
      results.push({ index, request: label, changes: [`no answer: ${error instanceof Error ? error.message : String(error)}`] });
      continue;
    }
    results.push({ index, request: label, changes: compareShapes(recordedShape(response), now) });
  }
  return { file, results, changed: results.filter((result) => result.changes.length).length };
}

export function formatCheckReport(report: CheckReport): string {
  const lines = report.results.map((result) =>
    result.changes.length ? `changed ${result.request}\n${result.changes.map((change) => `  - ${change}`).join("\n")}` : `same    ${result.request}`,
  );
  lines.push(`${report.changed} of ${report.results.length} answers changed shape (${report.file})`);
  return `${lines.join("\n")}\n`;
}

function headersFor(request: CassetteRequest, credentials: CheckCredentials): Headers {
  const headers = new Headers({ "content-type": "application/json", ...request.headers });
  const compatFamily = request.provider === "compat" ? request.model.split("/")[0] : undefined;
  const key =
    request.provider === "anthropic" || compatFamily === "anthropic"
      ? credentials.anthropic
      : request.provider === "workers-ai" || compatFamily === "workers-ai"
        ? credentials.workersAi
        : credentials.openai;
  if (key) headers.set(request.provider === "anthropic" ? "x-api-key" : "authorization", request.provider === "anthropic" ? key : `Bearer ${key}`);
  if (credentials.gateway) headers.set("cf-aig-authorization", `Bearer ${credentials.gateway}`);
  return headers;
}

async function fetchShape(origin: string, request: CassetteRequest, credentials: CheckCredentials): Promise<Shape> {
  const url = `${origin}/v1/${request.account ?? DEFAULT_ACCOUNT}/${request.gateway ?? DEFAULT_GATEWAY}/${request.path}`;
  const response = await fetch(url, { method: "POST", headers: headersFor(request, credentials), body: JSON.stringify(requestBody(request)) });
  const text = await response.text();
  if ((response.headers.get("content-type") ?? "").includes("text/event-stream")) {
    const splitter = new SseSplitter();
    const events = splitter.push(text);
    const rest = splitter.flush();
    if (rest) events.push(rest);
    return shapeOfEvents(response.status, events);
  }
  return shapeOfBody(response.status, text);
}

function recordedShape(response: CassetteResponse): Shape {
  if (response.events)
    return shapeOfEvents(
      response.status,
      response.events.map((event) => event.sse),
    );
  return shapeOfBody(response.status, response.json !== undefined ? JSON.stringify(response.json) : (response.text ?? ""));
}

function shapeOfEvents(status: number, events: string[]): Shape {
  const fields = new Map<string, Set<string>>();
  const types: string[] = [];
  for (const event of events) {
    const type = sseEventType(event);
    if (types.at(-1) !== type) types.push(type);
    const data = sseData(event);
    try {
      collectFields(JSON.parse(data), type, fields);
    } catch {
      // [DONE] and other non-JSON data have no fields
    }
  }
  return { status, events: types, fields };
}

function shapeOfBody(status: number, text: string): Shape {
  const fields = new Map<string, Set<string>>();
  try {
    collectFields(JSON.parse(text), "body", fields);
  } catch {
    fields.set("body", new Set(["text"]));
  }
  return { status, events: [], fields };
}

/** Field path → JSON types seen there; array items share the path `[]`. */
function collectFields(value: unknown, path: string, fields: Map<string, Set<string>>): void {
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  const seen = fields.get(path) ?? new Set<string>();
  fields.set(path, seen);
  seen.add(type);
  if (Array.isArray(value)) for (const item of value) collectFields(item, `${path}[]`, fields);
  else if (value && typeof value === "object") for (const [key, field] of Object.entries(value)) collectFields(field, `${path}.${key}`, fields);
}

export function compareShapes(recorded: Shape, now: Shape): string[] {
  const changes: string[] = [];
  if (recorded.status !== now.status) changes.push(`status ${recorded.status} → ${now.status}`);
  if (recorded.events.join(",") !== now.events.join(",")) changes.push(`event types ${recorded.events.join(" ")} → ${now.events.join(" ")}`);
  for (const [path, types] of recorded.fields) {
    const current = now.fields.get(path);
    if (!current) changes.push(`field ${path} is gone`);
    else if ([...types].sort().join("|") !== [...current].sort().join("|"))
      changes.push(`field ${path}: ${[...types].sort().join("|")} → ${[...current].sort().join("|")}`);
  }
  for (const path of now.fields.keys()) if (!recorded.fields.has(path)) changes.push(`field ${path} is new`);
  return changes;
}

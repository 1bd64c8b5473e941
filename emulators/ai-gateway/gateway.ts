import { randomUUID } from "node:crypto";
import { HttpResponse } from "msw";
import { cachePolicy } from "./cache.ts";
import { tokens } from "./conversation.ts";
import { bodyStream, isStreamFault, jsonChunks, wait } from "./delivery.ts";
import { faultFromHeader } from "./faults.ts";
import { isRejection, type ChatRequest, type Rejection, type RenderContext, type WireFormat } from "./formats/format.ts";
import { gatewayUnauthorized, invalidProvider } from "./gateway-errors.ts";
import { maskHeaders } from "./request-log.ts";
import type { AiGatewayState } from "./state.ts";
import type { Fault, LoggedRequest, Provider } from "./types.ts";

/** A gateway route: which provider, which wire format, and (Workers AI run) the model named by the path. */
export interface Route {
  provider: Provider;
  format: WireFormat;
  model?: string;
}

export interface GatewayParams {
  account?: string;
  gateway?: string;
}

/** Every gateway request is logged, and every answer carries the gateway's own headers. */
export interface GatewayCall {
  entry: LoggedRequest;
  headers: Record<string, string>;
  raw: string;
}

export async function beginCall(state: AiGatewayState, request: Request, params: GatewayParams, provider?: Provider): Promise<GatewayCall> {
  const raw = await request.text();
  const logId = randomUUID();
  const entry = state.log.add({
    logId,
    time: new Date().toISOString(),
    method: request.method,
    path: new URL(request.url).pathname,
    ...(params.account ? { account: params.account } : {}),
    ...(params.gateway ? { gateway: params.gateway } : {}),
    ...(provider ? { provider } : {}),
    stream: false,
    headers: maskHeaders(request.headers),
    body: parseOrRaw(raw),
  });
  return { entry, raw, headers: { "cf-aig-log-id": logId, "cf-aig-event-id": randomUUID(), "cf-aig-step": "0" } };
}

export function reject(call: GatewayCall, rejection: Rejection): Response {
  call.entry.status = rejection.status;
  return HttpResponse.json(rejection.body as Record<string, unknown>, { status: rejection.status, headers: { ...call.headers, ...rejection.headers } });
}

/** An authenticated gateway checks its token before anything reaches a provider. */
export function checkGatewayAuth(state: AiGatewayState, request: Request): Rejection | undefined {
  if (state.authToken === undefined) return undefined;
  return request.headers.get("cf-aig-authorization") === `Bearer ${state.authToken}` ? undefined : gatewayUnauthorized();
}

/**
 * One model call, in the order the real chain applies its checks: gateway auth, provider
 * credentials, body, cache, then the (fake) provider with any fault.
 */
export async function handleModelCall(state: AiGatewayState, route: Route, request: Request, params: GatewayParams): Promise<Response> {
  const call = await beginCall(state, request, params, route.provider);
  const { format } = route;
  const refused = checkGatewayAuth(state, request) ?? format.checkHeaders(request.headers);
  if (refused) return reject(call, refused);
  let body: unknown;
  try {
    body = JSON.parse(call.raw);
  } catch {
    return reject(call, format.malformedJson());
  }
  const parsed = format.parse(body);
  if (isRejection(parsed)) return reject(call, parsed);
  const chat = continueConversation(state, { ...parsed, model: route.model ?? parsed.model });
  call.entry.model = chat.model;
  call.entry.stream = chat.stream;
  // compat routes on the `provider/` prefix of the model.
  if (route.provider === "compat" && !/^[^/]+\/./.test(chat.model)) return reject(call, invalidProvider());

  const policy = cachePolicy(request.headers, new URL(request.url).pathname, call.raw);
  const hit = policy && state.cache.get(policy.key);
  if (hit) {
    Object.assign(call.entry, { status: hit.status, cache: "HIT" });
    return new Response(bodyStream(hit.chunks, undefined, state.signal), {
      status: hit.status,
      headers: { ...hit.headers, ...call.headers, "cf-aig-cache-status": "HIT" },
    });
  }
  call.entry.cache = "MISS";

  const target = { provider: route.provider, model: chat.model, turns: chat.turns, assistantTurns: chat.assistantTurns };
  const decision = state.scenarios.decide(target);
  let fault: Fault | undefined;
  try {
    fault = faultFromHeader(request.headers) ?? state.faults.take(target) ?? decision.fault;
  } catch (error) {
    return reject(call, format.error(400, `moltlab: ${error instanceof Error ? error.message : String(error)}`));
  }
  if (decision.scenario) call.entry.scenario = decision.scenario;
  if (fault) call.entry.fault = fault.kind;

  const signal = AbortSignal.any([request.signal, state.signal]);
  if (fault?.kind === "slow-first-byte") await wait(fault.delayMs, signal);
  if (fault?.kind === "reset") return HttpResponse.error();
  if (fault?.kind === "status") {
    const error = format.error(fault.status, fault.message);
    const retryAfter = fault.retryAfter ?? (fault.status === 429 ? 1 : undefined);
    return reject(call, { ...error, headers: retryAfter === undefined ? {} : { "retry-after": String(retryAfter) } });
  }

  const ctx: RenderContext = {
    model: chat.model,
    request: chat,
    inputTokens: tokens(call.raw),
    responseId: state.id(format.idPrefix),
    id: (prefix) => state.id(prefix),
  };
  const reply = decision.reply;
  const chunks = chat.stream ? format.events(reply, ctx) : jsonChunks(format.json(reply, ctx));
  if (format.idPrefix === "resp_") state.conversations.set(ctx.responseId, [...chat.turns, { role: "assistant", text: reply.text ?? "" }]);
  const headers: Record<string, string> = chat.stream
    ? { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" }
    : { "content-type": "application/json" };
  if (format.requestIdHeader) headers[format.requestIdHeader] = state.id("req_");
  if (policy && !fault) state.cache.set(policy, { status: 200, headers, chunks });
  call.entry.status = 200;
  return new Response(bodyStream(chunks, isStreamFault(fault) ? fault : undefined, signal), {
    status: 200,
    headers: { ...headers, ...call.headers, "cf-aig-cache-status": "MISS" },
  });
}

/** Responses API: prepend the turns of the response this one continues. */
function continueConversation(state: AiGatewayState, chat: ChatRequest): ChatRequest {
  const earlier = chat.previousResponseId ? state.conversations.get(chat.previousResponseId) : undefined;
  if (!earlier) return chat;
  const turns = [...earlier, ...chat.turns];
  return { ...chat, turns, assistantTurns: chat.assistantTurns + earlier.filter((turn) => turn.role === "assistant").length };
}

function parseOrRaw(raw: string): unknown {
  if (raw === "") return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

import { randomUUID } from "node:crypto";
import { HttpResponse } from "msw";
import { cachePolicy } from "./cache.ts";
import { tokens, type Turn } from "./conversation.ts";
import { bodyStream, isStreamFault, jsonChunks, wait } from "./delivery.ts";
import { faultFromHeader } from "./faults.ts";
import { isRejection, type ChatRequest, type Rejection, type RenderContext, type WireFormat } from "./formats/format.ts";
import { gatewayRateLimited, gatewayUnauthorized, insufficientCredits, invalidProvider, missingProviderKey, namedGatewayError } from "./gateway-errors.ts";
import { exhaustedWindows, openaiRateLimitMessage, rateLimitFamily, rateLimitHeaders } from "./rate-limits.ts";
import { maskHeaders } from "./request-log.ts";
import { defaultReply } from "./scenarios.ts";
import { scopeOf } from "./scope.ts";
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
  /** The request's `x-moltlab-scope`, if any. */
  scope: string | undefined;
  /** Why the scope header was refused, if it was. */
  badScope?: string;
}

export async function beginCall(state: AiGatewayState, request: Request, params: GatewayParams, provider?: Provider): Promise<GatewayCall> {
  const raw = await request.text();
  const logId = randomUUID();
  let scope: string | undefined;
  let badScope: string | undefined;
  try {
    scope = scopeOf(request.headers);
  } catch (error) {
    badScope = error instanceof Error ? error.message : String(error);
  }
  const entry = state.log.add({
    logId,
    time: new Date().toISOString(),
    method: request.method,
    path: new URL(request.url).pathname,
    ...(params.account ? { account: params.account } : {}),
    ...(params.gateway ? { gateway: params.gateway } : {}),
    ...(provider ? { provider } : {}),
    ...(scope ? { scope } : {}),
    stream: false,
    headers: maskHeaders(request.headers),
    body: parseOrRaw(raw),
  });
  return {
    entry,
    raw,
    scope,
    ...(badScope ? { badScope } : {}),
    headers: { "cf-aig-log-id": logId, "cf-aig-event-id": randomUUID(), "cf-aig-step": "0" },
  };
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
 * AI Gateway's own rate limiting (gateway setting): a fixed window counts requests since the
 * start of the current period, a sliding one those in the last period. Counted per scope, so
 * parallel tests do not spend each other's budget.
 */
function checkGatewayRateLimit(state: AiGatewayState, scope: string | undefined, now: number): Rejection | undefined {
  const limit = state.settings(scope).gatewayRateLimit;
  if (!limit) return undefined;
  const period = limit.periodSeconds * 1000;
  const since = limit.technique === "sliding" ? now - period : Math.floor(now / period) * period;
  const own = state.scope(scope);
  own.arrivals = own.arrivals.filter((time) => time >= since);
  if (own.arrivals.length >= limit.limit) return gatewayRateLimited();
  own.arrivals.push(now);
  return undefined;
}

/** Set on an upstream request when the gateway supplies the provider key itself (BYOK or Unified Billing). */
const GATEWAY_HELD_KEY = "Bearer moltlab-gateway-held-key";

/**
 * Which provider credentials the request goes upstream with, in AI Gateway's documented order:
 * a key on the request is forwarded unchanged; else a key stored on the gateway under the alias
 * (`cf-aig-byok-alias`, default "default"); else, on an authenticated gateway, Unified Billing —
 * refused with 400 when provider credentials are required (`byok_only`, `cf-aig-no-wholesale`),
 * 402 without credits. An unauthenticated gateway forwards a keyless request, and the provider
 * refuses it. Workers AI takes a Cloudflare token, never BYOK or Unified Billing.
 */
function resolveProviderKey(
  state: AiGatewayState,
  call: GatewayCall,
  route: Route,
  headers: Headers,
): { headers: Headers; keySource?: LoggedRequest["keySource"] } | Rejection {
  if (headers.has("authorization") || headers.has("x-api-key")) return { headers, keySource: "request" };
  if (route.provider === "workers-ai") return { headers };
  const settings = state.settings(call.scope);
  const upstream = route.provider === "compat" ? undefined : route.provider;
  const asked = headers.get("cf-aig-byok-alias");
  const alias = asked ?? "default";
  const stored = upstream ? (settings.byok?.[upstream] ?? []) : [];
  const withKey = () => {
    const copy = new Headers(headers);
    copy.set("authorization", GATEWAY_HELD_KEY);
    return copy;
  };
  if (stored.includes(alias)) return { headers: withKey(), keySource: "byok" };
  if (asked !== null) return missingProviderKey(upstream ?? route.provider, alias, stored);
  if (state.authToken === undefined) return { headers };
  if (settings.requireProviderCredentials || headers.get("cf-aig-no-wholesale") === "true")
    return missingProviderKey(upstream ?? route.provider, alias, stored);
  if (!settings.unifiedBillingCredits) return insufficientCredits();
  return { headers: withKey(), keySource: "unified-billing" };
}

/**
 * One model call, in the order the real chain applies its checks: gateway auth, the gateway's
 * rate limit, provider credentials, body, cache, then the (fake) provider with any fault.
 */
export async function handleModelCall(state: AiGatewayState, route: Route, request: Request, params: GatewayParams): Promise<Response> {
  const call = await beginCall(state, request, params, route.provider);
  const { format } = route;
  if (call.badScope) return reject(call, format.error(400, `moltlab: ${call.badScope}`));
  const { scope } = call;
  const refused = checkGatewayAuth(state, request) ?? checkGatewayRateLimit(state, scope, Date.now());
  if (refused) return reject(call, refused);
  const credentials = resolveProviderKey(state, call, route, request.headers);
  if ("status" in credentials) return reject(call, credentials);
  if (credentials.keySource) call.entry.keySource = credentials.keySource;
  const badHeaders = format.checkHeaders(credentials.headers);
  if (badHeaders) return reject(call, badHeaders);
  let body: unknown;
  try {
    body = JSON.parse(call.raw);
  } catch {
    return reject(call, format.malformedJson());
  }
  const own = state.scope(scope);
  const parsed = format.parse(body);
  if (isRejection(parsed)) return reject(call, parsed);
  const chat = continueConversation(own.conversations, { ...parsed, model: route.model ?? parsed.model });
  call.entry.model = chat.model;
  call.entry.stream = chat.stream;
  // compat routes on the `provider/` prefix of the model.
  if (route.provider === "compat" && !/^[^/]+\/./.test(chat.model)) return reject(call, invalidProvider());

  const signal = AbortSignal.any([request.signal, state.signal, own.signal]);
  const policy = cachePolicy(request.headers, new URL(request.url).pathname, call.raw);
  const hit = policy && own.cache.get(policy.key);
  if (hit) {
    Object.assign(call.entry, { status: hit.status, cache: "HIT" });
    return new Response(bodyStream(hit.chunks, { signal }), {
      status: hit.status,
      headers: { ...hit.headers, ...call.headers, "cf-aig-cache-status": "HIT" },
    });
  }
  call.entry.cache = "MISS";

  const target = { provider: route.provider, model: chat.model, turns: chat.turns, assistantTurns: chat.assistantTurns };
  const decision = state.decide(target, scope) ?? { reply: defaultReply(target) };
  let fault: Fault | undefined;
  try {
    const asked = faultFromHeader(request.headers);
    fault = (asked && state.strikes(asked, scope) ? asked : undefined) ?? state.takeFault(target, scope);
    if (!fault && decision.fault && state.strikes(decision.fault, scope)) fault = decision.fault;
  } catch (error) {
    return reject(call, format.error(400, `moltlab: ${error instanceof Error ? error.message : String(error)}`));
  }
  if (decision.scenario) call.entry.scenario = decision.scenario;
  if (fault) call.entry.fault = fault.kind;

  // Timing: a fault's, else the scenario's, else the settings' (scope's over gateway's).
  const settings = state.settings(scope);
  const slow = fault?.kind === "slow" ? fault : undefined;
  const latencyMs = slow?.latencyMs ?? decision.latencyMs ?? settings.latencyMs ?? 0;
  const chunkIntervalMs = slow?.chunkIntervalMs ?? decision.chunkIntervalMs ?? settings.chunkIntervalMs ?? 0;
  const delay = latencyMs + (fault?.kind === "slow-first-byte" ? fault.delayMs : 0);
  if (delay > 0) await wait(delay, signal);
  if (fault?.kind === "reset") return HttpResponse.error();
  const family = rateLimitFamily(route.provider, chat.model);
  if (fault?.kind === "gateway-error") return reject(call, namedGatewayError(fault.error, route.provider, chat.model));
  if (fault?.kind === "status") {
    const retryAfter = fault.retryAfter ?? (fault.status === 429 ? 1 : undefined);
    const windows = fault.status === 429 ? (fault.rateLimit ?? exhaustedWindows(retryAfter ?? 1, settings.rateLimit)) : undefined;
    const openaiText =
      route.provider === "openai" && windows && !fault.message ? openaiRateLimitMessage(chat.model, windows.requests?.limit ?? 50, retryAfter ?? 1) : undefined;
    const error = format.error(fault.status, fault.message ?? openaiText);
    const limits = windows ? rateLimitHeaders(family, windows) : {};
    return reject(call, { ...error, headers: { ...limits, ...(retryAfter === undefined ? {} : { "retry-after": String(retryAfter) }) } });
  }

  const ctx: RenderContext = {
    model: chat.model,
    request: chat,
    inputTokens: tokens(call.raw),
    responseId: own.id(format.idPrefix),
    id: (prefix) => own.id(prefix),
  };
  const reply = decision.reply;
  const chunks = chat.stream ? format.events(reply, ctx) : jsonChunks(format.json(reply, ctx));
  if (format.idPrefix === "resp_") own.conversations.set(ctx.responseId, [...chat.turns, { role: "assistant", text: reply.text ?? "" }]);
  const headers: Record<string, string> = chat.stream
    ? { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" }
    : { "content-type": "application/json" };
  if (format.requestIdHeader) headers[format.requestIdHeader] = own.id("req_");
  if (settings.rateLimit) Object.assign(headers, rateLimitHeaders(family, settings.rateLimit));
  if (policy && !fault) own.cache.set(policy, { status: 200, headers, chunks });
  call.entry.status = 200;
  return new Response(
    bodyStream(chunks, {
      signal,
      ...(isStreamFault(fault) ? { fault } : {}),
      ...(chat.stream && chunkIntervalMs > 0 ? { intervalMs: chunkIntervalMs } : {}),
    }),
    { status: 200, headers: { ...headers, ...call.headers, "cf-aig-cache-status": "MISS" } },
  );
}

/** Responses API: prepend the turns of the response this one continues. */
function continueConversation(conversations: Map<string, Turn[]>, chat: ChatRequest): ChatRequest {
  const earlier = chat.previousResponseId ? conversations.get(chat.previousResponseId) : undefined;
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

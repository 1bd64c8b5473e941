/**
 * LiteLLM → Cloudflare AI Gateway, as pure functions: where each model_list route goes
 * (which gateway endpoint, which model id, which OpenClaw provider adapter), and which
 * LiteLLM features have no AI Gateway equivalent, with the config line that needs them.
 *
 * AI Gateway facts used here (public docs, Nov 2026; desk research): provider endpoints
 * `/v1/{account}/{gateway}/{provider}/…` in each provider's own API (anthropic, openai,
 * google-ai-studio, grok, aws-bedrock, azure-openai, google-vertex-ai, workers-ai, …); the
 * OpenAI-compatible `compat/chat/completions` taking `provider/model`; custom providers for
 * any public HTTPS API; dynamic routing (fallback, rate-limit and budget-limit nodes);
 * response caching; gateway-level rate limiting; an authenticated gateway token; logs,
 * Logpush and OpenTelemetry export. The emulator implements anthropic, openai, compat and
 * workers-ai; everything else is marked "not emulated".
 */
import type { Provider } from "../../emulators/ai-gateway/types.ts";
import { quoteLine, type LitellmConfig, type LitellmRoute } from "./config.ts";

export type RouteStatus = "expressible" | "expressible, not emulated" | "not expressible";

export interface RouteMapping {
  route: LitellmRoute;
  status: RouteStatus;
  /** The LiteLLM provider prefix (anthropic, gemini, ollama, …). */
  litellmProvider: string;
  /** The AI Gateway provider that serves it upstream (anthropic, google-ai-studio, grok, custom, …). */
  upstream?: string;
  /** The path segment after /v1/{account}/{gateway}/. */
  endpoint?: string;
  /** The model id as sent through the gateway. */
  gatewayModel?: string;
  openclawApi?: "anthropic-messages" | "openai-completions";
  /** The emulator route that can answer it here (absent: not emulated). */
  emulated?: Provider;
  how: string;
}

/** LiteLLM prefixes AI Gateway's OpenAI-compatible endpoint takes as `provider/model`. */
const COMPAT: Record<string, string> = {
  gemini: "google-ai-studio",
  xai: "grok",
  groq: "groq",
  mistral: "mistral",
  deepseek: "deepseek",
  cohere: "cohere",
  cohere_chat: "cohere",
  perplexity: "perplexity-ai",
  openrouter: "openrouter",
  cerebras: "cerebras",
};

/** Providers AI Gateway serves only in their own API (not through compat here). */
const NATIVE_ONLY: Record<string, { upstream: string; note: string }> = {
  bedrock: { upstream: "aws-bedrock", note: "requests must be SigV4-signed by the client; OpenClaw has no Bedrock adapter configured here" },
  bedrock_converse: { upstream: "aws-bedrock", note: "requests must be SigV4-signed by the client" },
  vertex_ai: { upstream: "google-vertex-ai", note: "needs a Google service-account token per request" },
  azure: { upstream: "azure-openai", note: "the Azure resource and deployment go into the gateway URL" },
  huggingface: { upstream: "huggingface", note: "" },
  replicate: { upstream: "replicate", note: "" },
};

/** Local model servers: AI Gateway runs on Cloudflare's edge and cannot reach a home network. */
const LOCAL = new Set(["ollama", "ollama_chat", "hosted_vllm", "vllm", "lm_studio", "llamafile", "openai_like", "xinference"]);

/** A model name without a prefix: LiteLLM infers the provider from it. */
function inferProvider(model: string): string | undefined {
  if (/^(gpt-|o\d|chatgpt|text-embedding)/.test(model)) return "openai";
  if (/^claude/.test(model)) return "anthropic";
  if (/^gemini/.test(model)) return "gemini";
  if (/^grok/.test(model)) return "xai";
  return undefined;
}

/** http://, loopback, RFC 1918, link-local, *.local, *.lan, a bare host name. */
export function isPrivateBase(apiBase: string): boolean {
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    return true;
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (url.protocol !== "https:") return true;
  if (/^(localhost|127\.|10\.|192\.168\.|169\.254\.|::1$|f[cd][0-9a-f]{2}:)/i.test(host)) return true;
  if (/^172\.(1[6-9]|2\d|3[01])\./.test(host)) return true;
  return !host.includes(".") || /\.(local|lan|home|internal)$/i.test(host);
}

const OFFICIAL_BASE: Record<string, RegExp> = { openai: /(^|\.)openai\.com$/, anthropic: /(^|\.)anthropic\.com$/ };

export function mapRoute(route: LitellmRoute): RouteMapping {
  const slash = route.model.indexOf("/");
  const prefix = slash > 0 ? route.model.slice(0, slash) : (inferProvider(route.model) ?? "");
  const model = slash > 0 ? route.model.slice(slash + 1) : route.model;
  const base = { route, litellmProvider: prefix || "(none)" };
  if (route.apiBase && isPrivateBase(route.apiBase)) {
    return {
      ...base,
      status: "not expressible",
      how: `api_base ${route.apiBase} is on a private network or plain HTTP: AI Gateway runs on Cloudflare's edge and only reaches public HTTPS APIs (a custom provider needs one); exposing the server publicly (e.g. a Tunnel with Access) would be required`,
    };
  }
  if (LOCAL.has(prefix)) {
    return { ...base, status: "not expressible", how: `${prefix} is a local model server; without a public HTTPS api_base AI Gateway cannot reach it` };
  }
  if (prefix === "anthropic" || prefix === "openai" || prefix === "text-completion-openai") {
    const provider = prefix === "anthropic" ? "anthropic" : "openai";
    const host = route.apiBase ? new URL(route.apiBase).hostname : undefined;
    if (host && !OFFICIAL_BASE[provider]!.test(host)) {
      return {
        ...base,
        status: "expressible, not emulated",
        upstream: "custom",
        endpoint: `custom-<slug>/…`,
        gatewayModel: model,
        openclawApi: provider === "anthropic" ? "anthropic-messages" : "openai-completions",
        how: `${provider}-compatible API at ${host}: an AI Gateway custom provider (public HTTPS base URL); the emulator has no custom providers`,
      };
    }
    return {
      ...base,
      status: "expressible",
      upstream: provider,
      endpoint: provider,
      gatewayModel: model,
      emulated: provider,
      openclawApi: provider === "anthropic" ? "anthropic-messages" : "openai-completions",
      how: `native ${provider} endpoint, same model id`,
    };
  }
  if (COMPAT[prefix]) {
    const upstream = COMPAT[prefix]!;
    return {
      ...base,
      status: "expressible",
      upstream,
      endpoint: "compat",
      gatewayModel: `${upstream}/${model}`,
      emulated: "compat",
      openclawApi: "openai-completions",
      how: `OpenAI-compatible endpoint with model ${upstream}/${model} (the native ${upstream} endpoint also exists, in ${upstream}'s own API)`,
    };
  }
  if (prefix === "cloudflare" || prefix === "workers_ai") {
    return {
      ...base,
      status: "expressible",
      upstream: "workers-ai",
      endpoint: "workers-ai",
      gatewayModel: model,
      emulated: "workers-ai",
      openclawApi: "openai-completions",
      how: "Workers AI's OpenAI-compatible endpoint (workers-ai/v1/chat/completions)",
    };
  }
  if (NATIVE_ONLY[prefix]) {
    const native = NATIVE_ONLY[prefix]!;
    return {
      ...base,
      status: "expressible, not emulated",
      upstream: native.upstream,
      endpoint: native.upstream,
      gatewayModel: model,
      how: `native ${native.upstream} endpoint${native.note ? `; ${native.note}` : ""}; the emulator has no ${native.upstream} route`,
    };
  }
  return { ...base, status: "not expressible", how: `unknown LiteLLM provider "${prefix || route.model}": no AI Gateway provider known for it` };
}

export type Support = "equivalent" | "partial" | "lost";

export interface FeatureRule {
  feature: string;
  /** Matched against ConfigKey paths. */
  match: RegExp;
  support: Support;
  /** What AI Gateway (or OpenClaw) offers instead, and how it differs. */
  instead: string;
}

export const FEATURE_RULES: readonly FeatureRule[] = [
  {
    feature: "fallbacks between model groups",
    match: /^(router_settings|litellm_settings)\.fallbacks$/,
    support: "partial",
    instead:
      "OpenClaw's own agents.defaults.model.fallbacks (client side, any provider), or an AI Gateway dynamic route with a model node's fallback output; neither is the proxy-wide list LiteLLM applies to every client",
  },
  {
    feature: "context-window / content-policy fallbacks",
    match: /\.(context_window_fallbacks|content_policy_fallbacks)$/,
    support: "lost",
    instead: "no error-class-specific fallback: a dynamic route falls back on any failure, OpenClaw's fallbacks on provider errors",
  },
  {
    feature: "spend budget",
    match: /\.(max_budget|budget_duration|soft_budget|max_end_user_budget)$/,
    support: "partial",
    instead:
      "an AI Gateway dynamic route's budget-limit node (cost limit per window, then its fallback output) covers requests sent through that route only; a hard stop across every provider needs each provider's own spend limit",
  },
  {
    feature: "rate limits",
    match: /(^model_list\[\]\.litellm_params\.(rpm|tpm)$|\.(max_parallel_requests|rpm_limit|tpm_limit)$)/,
    support: "partial",
    instead: "gateway-wide rate limiting (one limit per gateway, fixed or sliding window) or a dynamic route's rate-limit node; no per-deployment rpm/tpm",
  },
  {
    feature: "prompt-cache injection",
    match: /\.cache_control_injection_points$/,
    support: "lost",
    instead:
      "AI Gateway forwards request bodies unchanged, so it cannot add cache_control; prompt caching must be requested by the client (whether OpenClaw's anthropic-messages adapter marks its system prompt is not verified here)",
  },
  {
    feature: "response cache",
    match: /^litellm_settings\.(cache|cache_params)$/,
    support: "partial",
    instead: "AI Gateway's response cache (exact request match, TTL via cf-aig-cache-ttl or the gateway setting); no Redis, no semantic cache",
  },
  {
    feature: "proxy master key",
    match: /^general_settings\.master_key$/,
    support: "equivalent",
    instead: "an authenticated gateway: clients send cf-aig-authorization: Bearer <token> (OpenClaw: provider headers)",
  },
  {
    feature: "virtual keys and per-key spend tracking",
    match: /(^general_settings\.(database_url|store_model_in_db|allowed_routes)$|^litellm_settings\.default_(team|key|internal_user)_settings$|virtual_key)/,
    support: "lost",
    instead: "no per-key model allow-lists, budgets or spend ledger; gateway tokens are all-or-nothing and logs carry only optional metadata",
  },
  {
    feature: "logging callbacks",
    match: /^litellm_settings\.(success_callback|failure_callback|callbacks|service_callback)$/,
    support: "partial",
    instead: "AI Gateway's own logs, Logpush and OpenTelemetry export; no custom Python callbacks (a Langfuse integration needs its OTel endpoint)",
  },
  {
    feature: "request rewriting",
    match: /\.(drop_params|modify_params|additional_drop_params)$/,
    support: "lost",
    instead: "the gateway passes requests through unchanged; OpenClaw sends each provider its native request, so parameters need no dropping",
  },
  {
    feature: "load balancing",
    match: /^router_settings\.routing_strategy$/,
    support: "partial",
    instead: "a dynamic route's percentage node splits traffic; no latency- or usage-based strategy",
  },
  {
    feature: "retries and cooldowns",
    match: /\.(num_retries|retry_policy|allowed_fails|cooldown_time)$/,
    support: "partial",
    instead:
      "AI Gateway's per-request retry settings, or OpenClaw's own retries (it retries a 500 several times over about a minute); no cooldown of a failing deployment",
  },
  {
    feature: "timeouts",
    match: /\.(timeout|stream_timeout|request_timeout)$/,
    support: "partial",
    instead: "AI Gateway's per-request timeout setting, or the client's",
  },
  {
    feature: "guardrails",
    match: /^guardrails/,
    support: "partial",
    instead: "AI Gateway Guardrails (Cloudflare's categories, not LiteLLM's plug-ins)",
  },
  {
    feature: "model group aliases",
    match: /\.model_group_alias$/,
    support: "partial",
    instead: "OpenClaw model names / a dynamic route's name",
  },
];

export interface FeatureFinding {
  feature: string;
  support: Support;
  instead: string;
  /** The lines that use it, with literal secrets masked. */
  lines: { line: number; text: string }[];
}

/** Which features the config uses, each with every line that needs it. */
export function findFeatures(config: LitellmConfig): FeatureFinding[] {
  const findings = new Map<string, FeatureFinding>();
  const add = (rule: Pick<FeatureRule, "feature" | "support" | "instead">, line: number) => {
    const finding = findings.get(rule.feature) ?? { ...rule, lines: [] };
    if (!finding.lines.some((known) => known.line === line)) finding.lines.push({ line, text: quoteLine(config, line) });
    findings.set(rule.feature, finding);
  };
  for (const key of config.keys) {
    for (const rule of FEATURE_RULES) if (rule.match.test(key.path)) add(rule, key.line);
  }
  // Several deployments behind one model_name: LiteLLM balances between them.
  const byName = new Map<string, LitellmRoute[]>();
  for (const route of config.routes) byName.set(route.modelName, [...(byName.get(route.modelName) ?? []), route]);
  for (const group of byName.values()) {
    if (group.length < 2) continue;
    for (const route of group) {
      add({ feature: "load balancing", support: "partial", instead: FEATURE_RULES.find((rule) => rule.feature === "load balancing")!.instead }, route.line);
    }
  }
  for (const route of config.routes) {
    if (route.apiKeyLiteral) {
      add(
        {
          feature: "key written into the config",
          support: "equivalent",
          instead: "move it to a Worker secret (wrangler secret put) or AI Gateway's stored provider keys",
        },
        route.line,
      );
    }
  }
  const order: Record<Support, number> = { lost: 0, partial: 1, equivalent: 2 };
  return [...findings.values()].sort((a, b) => order[a.support] - order[b.support] || a.lines[0]!.line - b.lines[0]!.line);
}

/** LiteLLM fallbacks as { model_name: [fallback model_names] } (both list-of-maps and map forms). */
export function fallbacksOf(config: LitellmConfig): Record<string, string[]> {
  const raw =
    (config.data.router_settings as { fallbacks?: unknown } | undefined)?.fallbacks ??
    (config.data.litellm_settings as { fallbacks?: unknown } | undefined)?.fallbacks;
  const entries = Array.isArray(raw) ? raw : raw && typeof raw === "object" ? [raw] : [];
  const result: Record<string, string[]> = {};
  for (const entry of entries) {
    if (!entry || typeof entry !== "object") continue;
    for (const [name, targets] of Object.entries(entry as Record<string, unknown>)) {
      result[name] = (Array.isArray(targets) ? targets : [targets]).map(String);
    }
  }
  return result;
}

/** OpenClaw's provider id for a mapped route: one per upstream, since each needs its own key. */
export function openclawProviderId(mapping: RouteMapping): string {
  return `cf-ai-gw-${mapping.upstream ?? mapping.litellmProvider}`;
}

/**
 * The OpenClaw config that replaces the LiteLLM routes: one provider per upstream through
 * the gateway (keys and gateway ids by ${VAR} reference, never values), and the first
 * route as the primary model with its LiteLLM fallbacks as OpenClaw fallbacks.
 */
export function openclawConfigFor(mappings: readonly RouteMapping[], fallbacks: Record<string, string[]>): Record<string, unknown> {
  const usable = mappings.filter((mapping) => mapping.status !== "not expressible" && mapping.openclawApi && mapping.upstream !== "custom");
  const providers: Record<string, unknown> = {};
  const refOf = new Map<string, string>();
  for (const mapping of usable) {
    const id = openclawProviderId(mapping);
    providers[id] ??= {
      baseUrl: `https://gateway.ai.cloudflare.com/v1/\${CF_AI_GATEWAY_ACCOUNT_ID}/\${CF_AI_GATEWAY_GATEWAY_ID}/${mapping.endpoint}`,
      api: mapping.openclawApi,
      apiKey: mapping.route.apiKeyEnv ? `\${${mapping.route.apiKeyEnv}}` : "${CLOUDFLARE_AI_GATEWAY_API_KEY}",
      headers: { "cf-aig-authorization": "Bearer ${CF_AIG_TOKEN}" },
      models: [] as { id: string; name: string }[],
    };
    const provider = providers[id] as { models: { id: string; name: string }[] };
    if (!provider.models.some((model) => model.id === mapping.gatewayModel)) provider.models.push({ id: mapping.gatewayModel!, name: mapping.route.modelName });
    refOf.set(mapping.route.modelName, `${id}/${mapping.gatewayModel}`);
  }
  const primaryName = usable[0]?.route.modelName;
  const model: Record<string, unknown> = primaryName ? { primary: refOf.get(primaryName) } : {};
  const chain = primaryName ? (fallbacks[primaryName] ?? []).map((name) => refOf.get(name)).filter(Boolean) : [];
  if (chain.length) model.fallbacks = chain;
  return { models: { providers }, agents: { defaults: { model } } };
}

import { http, type HttpHandler } from "msw";
import { anthropicMessages } from "./formats/anthropic.ts";
import { openaiError } from "./formats/openai-common.ts";
import { openaiChat } from "./formats/openai-chat.ts";
import { openaiResponses } from "./formats/openai-responses.ts";
import { workersAiRun } from "./formats/workers-ai.ts";
import type { Rejection, WireFormat } from "./formats/format.ts";
import { invalidProvider } from "./gateway-errors.ts";
import { beginCall, checkGatewayAuth, handleModelCall, reject, type GatewayParams } from "./gateway.ts";
import type { AiGatewayState } from "./state.ts";
import type { Provider } from "./types.ts";

/** The real service's origin; the handlers match any origin, this is only the default for URLs. */
export const AI_GATEWAY_ORIGIN = "https://gateway.ai.cloudflare.com";
export const DEFAULT_ACCOUNT = "moltlab-account";
export const DEFAULT_GATEWAY = "moltlab-gateway";

/** The base URL a client is configured with (SDKs append `/v1/messages`, `/chat/completions`, …). */
export function gatewayBaseUrl(origin: string, provider: Provider, account = DEFAULT_ACCOUNT, gateway = DEFAULT_GATEWAY): string {
  return `${origin.replace(/\/+$/, "")}/v1/${account}/${gateway}/${provider}`;
}

/** `*` in front: the same handlers answer at gateway.ai.cloudflare.com in-process and at 127.0.0.1 over HTTP. */
const GATEWAY = "*/v1/:account/:gateway";

function params(raw: Record<string, unknown>): GatewayParams {
  return { account: String(raw.account ?? ""), gateway: String(raw.gateway ?? "") };
}

/** What a provider answers for a path it does not serve (the gateway forwards unknown paths as-is). */
const NOT_FOUND: Record<Provider, (method: string, rest: string) => Rejection> = {
  anthropic: () => anthropicMessages.error(404, "Not Found"),
  openai: (method, rest) => openaiError(404, `Invalid URL (${method} /v1/${rest})`),
  compat: (method, rest) => openaiError(404, `Invalid URL (${method} /${rest})`),
  "workers-ai": () => workersAiRun.error(404, "No route for that URI"),
};

/**
 * The AI Gateway as MSW request handlers: the single source of behaviour, used in-process
 * with `setupServer(...aiGatewayHandlers(state))` and over HTTP by `startAiGateway`.
 * Tests can put their own handlers in front with `server.use(...)`.
 */
export function aiGatewayHandlers(state: AiGatewayState): HttpHandler[] {
  const model = (provider: Provider, format: WireFormat) =>
    http.post(`${GATEWAY}/${pathOf(provider, format)}`, ({ request, params: raw }) => handleModelCall(state, { provider, format }, request, params(raw)));
  return [
    model("anthropic", anthropicMessages),
    model("openai", openaiChat),
    model("openai", openaiResponses),
    model("compat", openaiChat),
    model("workers-ai", openaiChat),
    // Workers AI's run API names the model in the path: workers-ai/@cf/meta/llama-3.1-8b-instruct
    // (also accepted with a `run/` segment in front).
    http.post(`${GATEWAY}/workers-ai/*`, ({ request, params: raw }) => {
      const path = new URL(request.url).pathname;
      const model = decodeURIComponent(path.slice(path.indexOf("/workers-ai/") + "/workers-ai/".length)).replace(/^run\//, "");
      return handleModelCall(state, { provider: "workers-ai", format: workersAiRun, model }, request, params(raw));
    }),
    // Anything else under a gateway: the provider's own 404, or the gateway's "Invalid provider".
    http.all(`${GATEWAY}/*`, async ({ request, params: raw }) => {
      const [, , , , segment = "", ...rest] = new URL(request.url).pathname.split("/");
      const provider = (Object.keys(NOT_FOUND) as Provider[]).find((known) => known === segment);
      const call = await beginCall(state, request, params(raw), provider);
      return reject(call, checkGatewayAuth(state, request) ?? (provider ? NOT_FOUND[provider](request.method, rest.join("/")) : invalidProvider()));
    }),
  ];
}

function pathOf(provider: Provider, format: WireFormat): string {
  if (provider === "anthropic") return "anthropic/v1/messages";
  if (provider === "workers-ai") return "workers-ai/v1/chat/completions";
  return `${provider}/${format === openaiResponses ? "responses" : "chat/completions"}`;
}

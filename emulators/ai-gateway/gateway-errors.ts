import type { Rejection } from "./formats/format.ts";
import type { GatewayErrorName, Provider } from "./types.ts";

/**
 * Errors raised by AI Gateway itself (not by a provider behind it). Shape as observed from the
 * real service: Cloudflare's v4 envelope plus `name: "AiGatewayError"` and the internal code.
 * Codes seen in bodies captured from the real gateway (public issues and code):
 * - 2003 `Rate limited` (429): the gateway's own rate limiting;
 * - 2008 `Invalid provider` (400): unknown provider segment, or a compat model without `provider/`;
 * - 2009 `Unauthorized` (401): authenticated gateway, missing or wrong `cf-aig-authorization`;
 * - 2021 `Insufficient wholesale credits…` (402): a keyless request billed to Unified Billing without credits;
 * - 2040 `Provider '…' has no BYOK credential named '…'. Configured aliases: …` (400);
 * - 2041 `Spend limit exceeded: …` (429): a spend-limit rule.
 */
export function aiGatewayError(status: number, code: number, message: string): Rejection {
  return {
    status,
    body: {
      success: false,
      result: [],
      messages: [],
      error: [{ code, message }],
      name: "AiGatewayError",
      httpCode: status,
      internalCode: code,
      message,
      description: message,
    },
  };
}

export const gatewayUnauthorized = (): Rejection => aiGatewayError(401, 2009, "Unauthorized");
export const invalidProvider = (): Rejection => aiGatewayError(400, 2008, "Invalid provider");
export const gatewayRateLimited = (): Rejection => aiGatewayError(429, 2003, "Rate limited");
export const insufficientCredits = (): Rejection =>
  aiGatewayError(
    402,
    2021,
    "Insufficient wholesale credits. Please add additional credits on the AI Gateway Cloudflare dashboard to continue using provider models.",
  );
export const spendLimitExceeded = (provider: string, model: string): Rejection =>
  aiGatewayError(429, 2041, `Spend limit exceeded: rule 'moltlab' (cost limit 100 per 86400s, sliding) for ${provider} ${model}`);

/**
 * No provider key on the request and none stored under the alias asked for. The observed body
 * names the alias and the aliases configured; the same answer stands for "Require provider
 * credentials" (`byok_only`, `cf-aig-no-wholesale`), whose 400's code Cloudflare does not publish.
 */
export function missingProviderKey(provider: Provider | string, alias: string, configured: string[]): Rejection {
  const aliases = configured.length ? configured.map((name) => `'${name}'`).join(", ") : "none";
  return aiGatewayError(400, 2040, `Provider '${provider}' has no BYOK credential named '${alias}'. Configured aliases: ${aliases}`);
}

/** The error a `gateway-error` fault raises. */
export function namedGatewayError(name: GatewayErrorName, provider: string, model: string): Rejection {
  switch (name) {
    case "unauthorized":
      return gatewayUnauthorized();
    case "rate-limited":
      return gatewayRateLimited();
    case "insufficient-credits":
      return insufficientCredits();
    case "spend-limit":
      return spendLimitExceeded(provider, model);
    case "missing-provider-key":
      return missingProviderKey(provider, "default", []);
  }
}

export const GATEWAY_ERROR_NAMES: GatewayErrorName[] = ["unauthorized", "rate-limited", "insufficient-credits", "spend-limit", "missing-provider-key"];

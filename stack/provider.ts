/**
 * The model provider, for `npm run dev` and the compose worker alike. By default the AI Gateway
 * emulator; with the caller's own CLOUDFLARE_AI_GATEWAY_API_KEY + CF_AI_GATEWAY_ACCOUNT_ID +
 * CF_AI_GATEWAY_GATEWAY_ID the real AI Gateway, or with ANTHROPIC_API_KEY Anthropic directly
 * (the container then needs the internet).
 */
import { UserError } from "../core/errors.ts";

/** What the container is asked to use when the emulator serves the model (OpenClaw sends the bare id upstream). */
export const EMULATED_MODEL = "anthropic/claude-sonnet-4-5";

export type Provider =
  | { kind: "emulator" }
  | { kind: "ai-gateway"; vars: Record<string, string>; secrets: Record<string, string> }
  | { kind: "anthropic"; secrets: Record<string, string> };

export function providerFromEnv(env: NodeJS.ProcessEnv = process.env): Provider {
  const gatewayNames = ["CLOUDFLARE_AI_GATEWAY_API_KEY", "CF_AI_GATEWAY_ACCOUNT_ID", "CF_AI_GATEWAY_GATEWAY_ID"] as const;
  const given = gatewayNames.filter((name) => env[name]);
  if (given.length === gatewayNames.length) {
    return {
      kind: "ai-gateway",
      vars: {
        CF_AI_GATEWAY_ACCOUNT_ID: env.CF_AI_GATEWAY_ACCOUNT_ID!,
        CF_AI_GATEWAY_GATEWAY_ID: env.CF_AI_GATEWAY_GATEWAY_ID!,
        CF_AI_GATEWAY_MODEL: env.CF_AI_GATEWAY_MODEL || EMULATED_MODEL,
      },
      secrets: { CLOUDFLARE_AI_GATEWAY_API_KEY: env.CLOUDFLARE_AI_GATEWAY_API_KEY! },
    };
  }
  if (given.length) {
    throw new UserError(
      `only ${given.join(", ")} of the AI Gateway settings are set`,
      `set all of ${gatewayNames.join(", ")} (and optionally CF_AI_GATEWAY_MODEL) to use your AI Gateway, or none to use the emulator`,
    );
  }
  if (env.ANTHROPIC_API_KEY) return { kind: "anthropic", secrets: { ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY } };
  return { kind: "emulator" };
}

/** How the provider is described where the stack says it is ready ("model: …"). */
export function describeRealProvider(provider: Exclude<Provider, { kind: "emulator" }>): string {
  return provider.kind === "anthropic"
    ? "Anthropic directly (ANTHROPIC_API_KEY from your environment)"
    : "your Cloudflare AI Gateway (CF_AI_GATEWAY_* from your environment)";
}

/**
 * The required-config check: before anything touches the container, say exactly which
 * variables are missing or wrong, and how to set them — instead of a container that boots
 * for two minutes and then fails. It runs after Access, so only a signed-in user (or the
 * dev-mode bypass) sees the report.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv, Env } from "../types.ts";
import { parseSleepAfter } from "../container/settings.ts";
import { parseWebServices, WebServicesError } from "../../../contract/web-services.ts";

export interface ConfigReport {
  /** Variable names to set (alternatives joined with " or "). */
  missing: string[];
  /** Values present but unusable, with what is expected. */
  invalid: string[];
}

const has = (env: Env, name: keyof Env): boolean => typeof env[name] === "string" && (env[name] as string).trim() !== "";

const AI_GATEWAY = ["CLOUDFLARE_AI_GATEWAY_API_KEY", "CF_AI_GATEWAY_ACCOUNT_ID", "CF_AI_GATEWAY_GATEWAY_ID"] as const;
const LEGACY_GATEWAY = ["AI_GATEWAY_API_KEY", "AI_GATEWAY_BASE_URL"] as const;
const R2 = ["R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "CF_ACCOUNT_ID"] as const;

export function checkConfig(env: Env, options: { accessRequired: boolean }): ConfigReport {
  const missing: string[] = [];
  const invalid: string[] = [];
  if (!has(env, "MOLTBOT_GATEWAY_TOKEN")) missing.push("MOLTBOT_GATEWAY_TOKEN");
  if (options.accessRequired) {
    if (!has(env, "CF_ACCESS_TEAM_DOMAIN")) missing.push("CF_ACCESS_TEAM_DOMAIN");
    if (!has(env, "CF_ACCESS_AUD")) missing.push("CF_ACCESS_AUD");
  }

  // A model provider: AI Gateway, the legacy gateway pair, or a direct key. A partly set
  // group is reported by its missing members, since that is clearly the one intended.
  const partial = [AI_GATEWAY, LEGACY_GATEWAY].find((group) => group.some((name) => has(env, name)) && !group.every((name) => has(env, name)));
  const complete =
    [AI_GATEWAY, LEGACY_GATEWAY].some((group) => group.every((name) => has(env, name))) || has(env, "ANTHROPIC_API_KEY") || has(env, "OPENAI_API_KEY");
  if (partial) missing.push(...partial.filter((name) => !has(env, name)));
  else if (!complete)
    missing.push("ANTHROPIC_API_KEY or OPENAI_API_KEY or CLOUDFLARE_AI_GATEWAY_API_KEY (+ CF_AI_GATEWAY_ACCOUNT_ID, CF_AI_GATEWAY_GATEWAY_ID)");

  // R2 is optional, but half of it is a mistake that silently loses state.
  if (R2.some((name) => has(env, name)) && !R2.every((name) => has(env, name)) && !has(env, "R2_ENDPOINT")) {
    missing.push(...R2.filter((name) => !has(env, name)));
  }
  if (parseSleepAfter(env.SANDBOX_SLEEP_AFTER) === undefined) {
    invalid.push(`SANDBOX_SLEEP_AFTER must be "never" or a duration like 30s, 10m or 1h`);
  }
  try {
    parseWebServices(env.SANDBOX_WEB_SERVICES);
  } catch (error) {
    if (!(error instanceof WebServicesError)) throw error;
    invalid.push(`${error.message}: ${error.fix}`);
  }
  return { missing, invalid };
}

/** `wrangler secret put NAME` for each missing name (the first of alternatives). */
export function secretPutHints(missing: readonly string[]): string[] {
  return missing.map((entry) => `wrangler secret put ${entry.split(" ")[0]}`);
}

export const requireConfig: MiddlewareHandler<AppEnv> = async (c, next) => {
  const report = checkConfig(c.env, { accessRequired: !c.get("devMode")?.bypass });
  if (report.missing.length === 0 && report.invalid.length === 0) return next();
  return c.json(
    {
      error: "The Worker is not fully configured",
      missing: report.missing,
      invalid: report.invalid,
      hint: "Set each missing secret with `wrangler secret put NAME` (locally: in worker/.dev.vars), then reload.",
      commands: secretPutHints(report.missing),
    },
    503,
  );
};

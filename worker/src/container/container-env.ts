/**
 * The container's environment, built from the Worker's per moltworker's contract. This is
 * the only way secrets reach the container: the image's entrypoint is never overridden, so
 * nothing secret appears on a process command line.
 */
import { devModeAllowed } from "../middleware/dev-mode.ts";
import type { Env } from "../env.ts";

/** Forwarded under the same name. TELEGRAM_DM_ALLOW_FROM is here on purpose: upstream forgets it. */
const SAME_NAME = [
  "CLOUDFLARE_AI_GATEWAY_API_KEY",
  "CF_AI_GATEWAY_ACCOUNT_ID",
  "CF_AI_GATEWAY_GATEWAY_ID",
  "CF_AI_GATEWAY_MODEL",
  "CF_AI_GATEWAY_BASE_URL",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_BASE_URL",
  "OPENAI_API_KEY",
  "TELEGRAM_BOT_TOKEN",
  "TELEGRAM_DM_POLICY",
  "TELEGRAM_DM_ALLOW_FROM",
  "DISCORD_BOT_TOKEN",
  "DISCORD_DM_POLICY",
  "SLACK_BOT_TOKEN",
  "SLACK_APP_TOKEN",
  "R2_ACCESS_KEY_ID",
  "R2_SECRET_ACCESS_KEY",
  "CF_ACCOUNT_ID",
  "R2_ENDPOINT",
  "CDP_SECRET",
  "WORKER_URL",
] as const satisfies readonly (keyof Env)[];

/** Worker name → container name, where they differ. Later entries win over SAME_NAME. */
const RENAMED = [
  ["MOLTBOT_GATEWAY_TOKEN", "OPENCLAW_GATEWAY_TOKEN"],
  // moltworker's legacy gateway pair takes precedence over direct Anthropic settings.
  ["AI_GATEWAY_API_KEY", "ANTHROPIC_API_KEY"],
  ["AI_GATEWAY_BASE_URL", "ANTHROPIC_BASE_URL"],
] as const satisfies readonly (readonly [keyof Env, string])[];

export const DEFAULT_BUCKET = "moltbot-data";

export function containerEnv(env: Env): Record<string, string> {
  const result: Record<string, string> = {};
  const value = (name: keyof Env): string | undefined => {
    const raw = env[name];
    return typeof raw === "string" && raw !== "" ? raw : undefined;
  };
  for (const name of SAME_NAME) {
    const v = value(name);
    if (v !== undefined) result[name] = v;
  }
  for (const [from, to] of RENAMED) {
    const v = value(from);
    if (v !== undefined) result[to] = v;
  }
  // moltworker's DEV_MODE also turns on OpenClaw's insecure Control UI login: only where the
  // Worker itself honours the flag (moltlab's loopback dev server), never on a deployed Worker.
  if (devModeAllowed(env) && value("DEV_MODE") !== undefined) result.OPENCLAW_DEV_MODE = value("DEV_MODE")!;
  // The bucket name matters only with R2 credentials, but moltworker always sets it.
  result.R2_BUCKET_NAME = value("R2_BUCKET_NAME") ?? DEFAULT_BUCKET;
  return result;
}

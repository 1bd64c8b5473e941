/**
 * The Worker → container environment (moltworker's contract): which of the Worker's variables
 * and secrets reach the container, and under which name. The only way secrets reach it: the
 * image's entrypoint is never overridden, so nothing secret is on a command line. The Worker
 * builds the environment from this table (worker/src/container/container-env.ts) and lists
 * its Worker-side names among Env's (worker/src/manifest.ts); the supervisor reads these names.
 */

/** Forwarded under the same name. TELEGRAM_DM_ALLOW_FROM is here on purpose: upstream forgets it. */
export const SAME_NAME = [
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
] as const;

/** Worker name → container name, where they differ. Later entries win over SAME_NAME. */
export const RENAMED = [
  ["MOLTBOT_GATEWAY_TOKEN", "OPENCLAW_GATEWAY_TOKEN"],
  // moltworker's legacy gateway pair takes precedence over direct Anthropic settings.
  ["AI_GATEWAY_API_KEY", "ANTHROPIC_API_KEY"],
  ["AI_GATEWAY_BASE_URL", "ANTHROPIC_BASE_URL"],
] as const;

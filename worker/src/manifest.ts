/**
 * What the Worker consists of, as data: the names of its bindings, variables and secrets.
 * Pure and free of workerd's types, so Node-side code (verify) imports it instead of reading
 * the Worker's source. types.ts checks at compile time that these lists and `Env` agree.
 */

/** Env's bindings: the Sandbox DO, static assets, R2 and Browser Rendering. */
export const BINDING_NAMES = ["Sandbox", "ASSETS", "MOLTBOT_BUCKET", "BROWSER"] as const;

/** Env's string variables and secrets, in types.ts's order. */
export const VARIABLE_NAMES = [
  // Gateway auth, Cloudflare Access
  "MOLTBOT_GATEWAY_TOKEN",
  "CF_ACCESS_TEAM_DOMAIN",
  "CF_ACCESS_AUD",
  // AI providers
  "CLOUDFLARE_AI_GATEWAY_API_KEY",
  "CF_AI_GATEWAY_ACCOUNT_ID",
  "CF_AI_GATEWAY_GATEWAY_ID",
  "CF_AI_GATEWAY_MODEL",
  "CF_AI_GATEWAY_BASE_URL",
  "AI_GATEWAY_API_KEY",
  "AI_GATEWAY_BASE_URL",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_BASE_URL",
  "OPENAI_API_KEY",
  // Modes
  "DEV_MODE",
  "E2E_TEST_MODE",
  "DEBUG_ROUTES",
  "MOLTLAB_DEV_SERVER",
  "DEV_MODE_ALLOWED_HOSTS",
  "SANDBOX_SLEEP_AFTER",
  // Channels
  "TELEGRAM_BOT_TOKEN",
  "TELEGRAM_DM_POLICY",
  "TELEGRAM_DM_ALLOW_FROM",
  "DISCORD_BOT_TOKEN",
  "DISCORD_DM_POLICY",
  "SLACK_BOT_TOKEN",
  "SLACK_APP_TOKEN",
  // R2 over S3
  "R2_ACCESS_KEY_ID",
  "R2_SECRET_ACCESS_KEY",
  "CF_ACCOUNT_ID",
  "R2_BUCKET_NAME",
  "R2_ENDPOINT",
  // Browser / CDP, origins
  "CDP_SECRET",
  "WORKER_URL",
  "ALLOWED_ORIGINS",
  // moltlab local development
  "MOLTLAB_CONTAINERS_URL",
  "MOLTLAB_PLATFORM_TOKEN",
  "MOLTLAB_CONTAINER_IMAGE",
  "MOLTLAB_CONTAINER_PLATFORM",
  "MOLTLAB_CONTAINERS_NETWORK",
  "MOLTLAB_STOP_TIMEOUT",
  "MOLTLAB_INSTANCE_TYPE",
] as const;

export type VariableName = (typeof VARIABLE_NAMES)[number];

/** Names whose values are secret: never in responses, logs or errors. */
export const SECRET_NAMES = [
  "MOLTBOT_GATEWAY_TOKEN",
  "CLOUDFLARE_AI_GATEWAY_API_KEY",
  "AI_GATEWAY_API_KEY",
  "ANTHROPIC_API_KEY",
  "OPENAI_API_KEY",
  "TELEGRAM_BOT_TOKEN",
  "DISCORD_BOT_TOKEN",
  "SLACK_BOT_TOKEN",
  "SLACK_APP_TOKEN",
  "R2_ACCESS_KEY_ID",
  "R2_SECRET_ACCESS_KEY",
  "CDP_SECRET",
  "CF_ACCESS_AUD",
  "MOLTLAB_PLATFORM_TOKEN",
] as const satisfies readonly VariableName[];

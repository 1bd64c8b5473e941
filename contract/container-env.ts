/**
 * The Worker → container environment (moltworker's contract): which of the Worker's variables
 * and secrets reach the container, and under which name. The only way secrets reach it: the
 * image's entrypoint is never overridden, so nothing secret is on a command line. The Worker
 * builds the environment from this table (worker/src/container/container-env.ts) and lists
 * its Worker-side names among Env's (worker/src/manifest.ts); the supervisor reads these names.
 */

/** Forwarded under the same name. TELEGRAM_DM_ALLOW_FROM is here on purpose: upstream forgets it; DISCORD_DM_ALLOW_FROM, DISCORD_GUILD_CHANNELS and DISCORD_API_URL are the kit's (see container/supervisor/config.ts). */
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
  "TELEGRAM_API_ROOT",
  "TELEGRAM_WEBHOOK_SECRET",
  "DISCORD_BOT_TOKEN",
  "DISCORD_DM_POLICY",
  "DISCORD_DM_ALLOW_FROM",
  "DISCORD_GUILD_CHANNELS",
  "DISCORD_API_URL",
  "SLACK_BOT_TOKEN",
  "SLACK_APP_TOKEN",
  "R2_ACCESS_KEY_ID",
  "R2_SECRET_ACCESS_KEY",
  "CF_ACCOUNT_ID",
  "R2_ENDPOINT",
  "R2_CONNECT_HOST",
  "CDP_SECRET",
  "WORKER_URL",
  "OPENCLAW_HOOKS_TOKEN",
] as const;

/** Worker name → container name, where they differ. Later entries win over SAME_NAME. */
export const RENAMED = [
  ["MOLTBOT_GATEWAY_TOKEN", "OPENCLAW_GATEWAY_TOKEN"],
  // moltworker's legacy gateway pair takes precedence over direct Anthropic settings.
  ["AI_GATEWAY_API_KEY", "ANTHROPIC_API_KEY"],
  ["AI_GATEWAY_BASE_URL", "ANTHROPIC_BASE_URL"],
] as const;

/**
 * Secrets for tools in the container (gh's GH_TOKEN, a Grafana token), which neither OpenClaw's
 * config nor the Worker reads: a Worker secret named CONTAINER_SECRET_<NAME> reaches the container
 * as <NAME>. A kit extension (moltworker has none): without it such a secret had no way in.
 * Only names that read as secrets (…_TOKEN, …_KEY, …_SECRET, …_PASSWORD, which the supervisor masks
 * in its log) and that nothing else sets: never a name of the table above, nor R2_*, MOLTLAB_*,
 * OPENCLAW_* or CF_* — so it cannot change a setting of the supervisor or the gateway.
 */
export const CONTAINER_SECRET_PREFIX = "CONTAINER_SECRET_";
const CONTAINER_SECRET = /^[A-Z][A-Z0-9_]*_(TOKEN|KEY|SECRET|PASSWORD)$/;
const RESERVED = /^(R2_|MOLTLAB_|OPENCLAW_|CF_)/;

/** The container-side name of a Worker variable CONTAINER_SECRET_<NAME>, or null when it is not one (or not allowed). */
export function containerSecretName(workerName: string): string | null {
  if (!workerName.startsWith(CONTAINER_SECRET_PREFIX)) return null;
  const name = workerName.slice(CONTAINER_SECRET_PREFIX.length);
  const table: readonly string[] = [...SAME_NAME, ...RENAMED.map(([, to]) => to)];
  return CONTAINER_SECRET.test(name) && !RESERVED.test(name) && !table.includes(name) ? name : null;
}

/** Why a container secret's name is refused (null when `name` may be passed as CONTAINER_SECRET_<name>). */
export function containerSecretRefusal(name: string): string | null {
  if (containerSecretName(CONTAINER_SECRET_PREFIX + name) !== null) return null;
  if (!CONTAINER_SECRET.test(name)) return "only names ending in _TOKEN, _KEY, _SECRET or _PASSWORD are passed (the supervisor masks those in its log)";
  return "the name is the kit's own (the Worker → container table, R2_*, MOLTLAB_*, OPENCLAW_*, CF_*)";
}

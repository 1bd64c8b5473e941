/**
 * Every binding, variable and secret the Worker reads: moltworker's names, so an existing
 * moltworker configuration (`wrangler secret put …`) works unchanged, plus a few moltlab
 * additions (MOLTLAB_*, R2_ENDPOINT) that production never needs, and ALLOWED_ORIGINS.
 */
import type { Sandbox } from "./container/sandbox.ts";

export interface Env {
  // Bindings
  Sandbox: DurableObjectNamespace<Sandbox>;
  ASSETS: Fetcher;
  /** Declared like upstream (which leaves it unused); the container reaches R2 over S3. */
  MOLTBOT_BUCKET?: R2Bucket;
  BROWSER?: Fetcher;

  // Gateway auth (required)
  MOLTBOT_GATEWAY_TOKEN?: string;

  // Cloudflare Access (required unless the dev-mode bypass applies)
  CF_ACCESS_TEAM_DOMAIN?: string;
  CF_ACCESS_AUD?: string;

  // AI providers: Cloudflare AI Gateway, the legacy gateway pair, or direct keys
  CLOUDFLARE_AI_GATEWAY_API_KEY?: string;
  CF_AI_GATEWAY_ACCOUNT_ID?: string;
  CF_AI_GATEWAY_GATEWAY_ID?: string;
  CF_AI_GATEWAY_MODEL?: string;
  /** moltlab: AI Gateway origin override (the AI Gateway emulator); production uses gateway.ai.cloudflare.com. */
  CF_AI_GATEWAY_BASE_URL?: string;
  AI_GATEWAY_API_KEY?: string;
  AI_GATEWAY_BASE_URL?: string;
  ANTHROPIC_API_KEY?: string;
  ANTHROPIC_BASE_URL?: string;
  OPENAI_API_KEY?: string;

  // Modes
  /** Skips Access only together with MOLTLAB_DEV_SERVER=loopback (see dev-mode.ts); also OpenClaw's insecure control-UI auth. */
  DEV_MODE?: string;
  /** Like DEV_MODE for the Access bypass. */
  E2E_TEST_MODE?: string;
  DEBUG_ROUTES?: string;
  /**
   * moltlab, set only by `npm run dev` in the wrangler config it generates for `wrangler dev --ip
   * 127.0.0.1`: `loopback` says only this machine can reach the Worker, which DEV_MODE /
   * E2E_TEST_MODE need before they skip Access. Never put it in wrangler.jsonc or on a deployed Worker.
   */
  MOLTLAB_DEV_SERVER?: string;
  /** No longer honoured (logged when set): it let the client-controlled Host header enable the Access bypass. */
  DEV_MODE_ALLOWED_HOSTS?: string;
  /** `never` (default: keep alive) or a duration such as `10m`. */
  SANDBOX_SLEEP_AFTER?: string;

  // Channels
  TELEGRAM_BOT_TOKEN?: string;
  TELEGRAM_DM_POLICY?: string;
  TELEGRAM_DM_ALLOW_FROM?: string;
  DISCORD_BOT_TOKEN?: string;
  DISCORD_DM_POLICY?: string;
  SLACK_BOT_TOKEN?: string;
  SLACK_APP_TOKEN?: string;

  // R2 over S3, for the container's backups
  R2_ACCESS_KEY_ID?: string;
  R2_SECRET_ACCESS_KEY?: string;
  CF_ACCOUNT_ID?: string;
  R2_BUCKET_NAME?: string;
  /** moltlab: S3 endpoint override (the local R2 stand-in); production derives it from CF_ACCOUNT_ID. */
  R2_ENDPOINT?: string;

  // Browser / CDP
  CDP_SECRET?: string;
  /** The Worker's public URL (the CDP shim's); its origin may also send state-changing requests. */
  WORKER_URL?: string;

  /**
   * moltlab: origins (comma-separated `scheme://host[:port]`) besides the Worker's own and
   * WORKER_URL's whose pages may send state-changing requests (POST, PUT, PATCH, DELETE, …)
   * and WebSocket upgrades with the user's Access session. Everything else that carries an
   * Origin is refused with 403 (see cross-site.ts).
   */
  ALLOWED_ORIGINS?: string;

  // moltlab local development (wrangler.jsonc env.local)
  /** Base URL of moltlab's local Containers platform; used when `ctx.container` is absent. */
  MOLTLAB_CONTAINERS_URL?: string;
  /** The local platform's bearer token, when it was started with one. */
  MOLTLAB_PLATFORM_TOKEN?: string;
  /** Image the local platform runs. */
  MOLTLAB_CONTAINER_IMAGE?: string;
  /** The image's platform on the local platform: `linux/amd64` (default, like Cloudflare) or `linux/arm64`. */
  MOLTLAB_CONTAINER_PLATFORM?: string;
  /**
   * `bridge` (default) or `host`: the local platform's network mode. With `host` the container
   * shares the host's network and the gateway and control API bind 127.0.0.1 only. With
   * `network:<docker network>` (docker compose) it joins that network, reached by name.
   */
  MOLTLAB_CONTAINERS_NETWORK?: string;
  /** Seconds to wait after SIGTERM for the supervisor's final backup before SIGKILL (default 60). */
  MOLTLAB_STOP_TIMEOUT?: string;
  /**
   * The instance type whose CPU and memory the local platform applies (default standard-1):
   * wrangler.jsonc's containers[].instance_type, which Cloudflare reads at deploy time and a
   * Worker never sees; `npm run dev` passes it.
   */
  MOLTLAB_INSTANCE_TYPE?: string;
}

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
] as const satisfies readonly (keyof Env)[];

/** Environment flags are strings; only "true" (any case) turns one on. */
export function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === "true";
}

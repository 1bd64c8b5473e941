/**
 * What the Worker consists of, as data: its routes and the names of its bindings, variables
 * and secrets. Pure and free of workerd's types, so Node-side code (verify) imports it instead
 * of reading the Worker's source. Neither list can drift from the code: worker/test/routes.test.ts
 * compares ROUTES with what app.ts registers, and types.ts checks the names against `Env`.
 */
import { RENAMED, SAME_NAME } from "../../contract/container-env.ts";

/**
 * `access`: a valid Cloudflare Access token (or the dev-mode bypass, on moltlab's loopback dev
 * server only: middleware/dev-mode.ts). `none`: answered to anyone. `telegram-secret`: the
 * webhook secret Telegram was given (TELEGRAM_WEBHOOK_SECRET), in its header.
 */
export type RouteAuth = "none" | "access" | "telegram-secret";

export interface WorkerRoute {
  /** Hono's method name; `ALL` matches every method. */
  method: "GET" | "POST" | "ALL";
  /** Hono's path pattern, as `app.routes` reports it. */
  path: string;
  auth: RouteAuth;
  purpose: string;
}

/** Every route app.ts serves, in the order it registers them (the catch-all last). */
export const ROUTES: readonly WorkerRoute[] = [
  { method: "GET", path: "/sandbox-health", auth: "none", purpose: "liveness probe; no config check, never touches the Durable Object" },
  {
    method: "POST",
    path: "/telegram/webhook",
    auth: "telegram-secret",
    purpose: "Telegram's updates (TELEGRAM_WEBHOOK_SECRET set): wakes the container and hands each to OpenClaw",
  },
  { method: "GET", path: "/api/status", auth: "access", purpose: "the container's last known state in moltworker's words; never wakes it" },
  { method: "GET", path: "/api/admin/devices", auth: "access", purpose: "pending and paired devices (the supervisor's control API)" },
  { method: "POST", path: "/api/admin/devices/approve-all", auth: "access", purpose: "approve every pending device" },
  { method: "POST", path: "/api/admin/devices/:id/approve", auth: "access", purpose: "approve one pending device" },
  { method: "GET", path: "/api/admin/storage", auth: "access", purpose: "R2 backup configuration and the last backup; never wakes the container" },
  { method: "POST", path: "/api/admin/storage/sync", auth: "access", purpose: "back up to R2 now (a running container only)" },
  { method: "POST", path: "/api/admin/gateway/restart", auth: "access", purpose: "graceful stop (final backup), then a fresh start" },
  { method: "GET", path: "/api/admin/state", auth: "access", purpose: "container state and boot-phase timings; never wakes the container" },
  { method: "GET", path: "/_admin", auth: "access", purpose: "redirect to /_admin/" },
  { method: "GET", path: "/_admin/*", auth: "access", purpose: "the admin page (static assets)" },
  { method: "GET", path: "/debug/env", auth: "access", purpose: "which variables are set, never their values (DEBUG_ROUTES=true only)" },
  { method: "GET", path: "/debug/container", auth: "access", purpose: "the Durable Object's status report (DEBUG_ROUTES=true only)" },
  { method: "GET", path: "/debug/version", auth: "access", purpose: "the Worker, the Access identity, the dev-mode decision (DEBUG_ROUTES=true only)" },
  { method: "ALL", path: "/*", auth: "access", purpose: "everything else: the OpenClaw gateway (HTTP and WebSocket), or the loading page while it boots" },
];

/** Env's bindings: the Sandbox DO, static assets, R2 and Browser Rendering. */
export const BINDING_NAMES = ["Sandbox", "ASSETS", "MOLTBOT_BUCKET", "BROWSER"] as const;

/**
 * Env's string variables and secrets besides those the container table forwards (below):
 * read by the Worker itself, or passed to the container by hand (DEV_MODE, R2_BUCKET_NAME:
 * worker/src/container/container-env.ts).
 */
const OWN_VARIABLE_NAMES = [
  // Cloudflare Access
  "CF_ACCESS_TEAM_DOMAIN",
  "CF_ACCESS_AUD",
  // Modes
  "DEV_MODE",
  "E2E_TEST_MODE",
  "DEBUG_ROUTES",
  "MOLTLAB_DEV_SERVER",
  "DEV_MODE_ALLOWED_HOSTS",
  "SANDBOX_SLEEP_AFTER",
  "SANDBOX_SCHEDULE_AWAKE",
  "SANDBOX_WEB_SERVICES",
  // R2 over S3
  "R2_BUCKET_NAME",
  // Origins
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

/**
 * Env's string variables and secrets: the Worker's side of the Worker → container table
 * (contract/container-env.ts: gateway token, AI providers, channels, R2 credentials, CDP,
 * WORKER_URL), then the Worker's own.
 */
export const VARIABLE_NAMES = [...RENAMED.map(([workerName]) => workerName), ...SAME_NAME, ...OWN_VARIABLE_NAMES] as const;

export type VariableName = (typeof VARIABLE_NAMES)[number];

/** Names whose values are secret: never in responses, logs or errors. */
export const SECRET_NAMES = [
  "MOLTBOT_GATEWAY_TOKEN",
  "CLOUDFLARE_AI_GATEWAY_API_KEY",
  "AI_GATEWAY_API_KEY",
  "ANTHROPIC_API_KEY",
  "OPENAI_API_KEY",
  "TELEGRAM_BOT_TOKEN",
  "TELEGRAM_WEBHOOK_SECRET",
  "OPENCLAW_HOOKS_TOKEN",
  "DISCORD_BOT_TOKEN",
  "SLACK_BOT_TOKEN",
  "SLACK_APP_TOKEN",
  "R2_ACCESS_KEY_ID",
  "R2_SECRET_ACCESS_KEY",
  "CDP_SECRET",
  "CF_ACCESS_AUD",
  "MOLTLAB_PLATFORM_TOKEN",
] as const satisfies readonly VariableName[];

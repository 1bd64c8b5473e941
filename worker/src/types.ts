/**
 * The Worker's types in one module, so that every other file can import them without
 * importing each other: the environment (bindings, variables, secrets), Hono's view of a
 * request, and the Sandbox Durable Object's RPC surface — an interface, so that `Env` can
 * name the DO binding's type without importing the class (which imports `Env`).
 *
 * `Env` holds moltworker's names, so an existing moltworker configuration (`wrangler secret
 * put …`) works unchanged, plus a few moltlab additions (MOLTLAB_*, R2_ENDPOINT) that
 * production never needs, and ALLOWED_ORIGINS. manifest.ts lists every name (checked below).
 */
import type { ExitInfo } from "./container/driver.ts";
import type { BINDING_NAMES, VARIABLE_NAMES } from "./manifest.ts";

export interface Env {
  // Bindings
  Sandbox: DurableObjectNamespace<SandboxRpc>;
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
  /** Skips Access only together with MOLTLAB_DEV_SERVER=loopback (see middleware/dev-mode.ts); also OpenClaw's insecure control-UI auth, where OpenClaw still has it (before 2026.8.1). */
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
  /** `never` (default: keep alive) or a duration such as `10m`: stop once that long has passed with no request in progress, since the last answer and the last WebSocket frame. */
  SANDBOX_SLEEP_AFTER?: string;
  /** How long a Cron Trigger's wake keeps the container up at least (default `10m`): OpenClaw runs missed agent turns ~2 min after it starts. */
  SANDBOX_SCHEDULE_AWAKE?: string;
  /** Your own web services in the container, each on a hostname of its own: "board.example.com=8080,…" (contract/web-services.ts). */
  SANDBOX_WEB_SERVICES?: string;

  // Channels
  TELEGRAM_BOT_TOKEN?: string;
  TELEGRAM_DM_POLICY?: string;
  TELEGRAM_DM_ALLOW_FROM?: string;
  /** Another Bot API server (moltlab's emulator, a self-hosted telegram-bot-api); default api.telegram.org. */
  TELEGRAM_API_ROOT?: string;
  /**
   * Turns on webhooks through the Worker: Telegram posts to /telegram/webhook with this secret,
   * the Worker wakes the container and hands the update over (contract/telegram.ts).
   */
  TELEGRAM_WEBHOOK_SECRET?: string;
  /**
   * Turns on OpenClaw's inbound webhooks (`POST /hooks/agent`, `/hooks/wake`) with this token: a call
   * through the Worker (behind Access: a service token) wakes a sleeping container like any request.
   */
  OPENCLAW_HOOKS_TOKEN?: string;
  DISCORD_BOT_TOKEN?: string;
  DISCORD_DM_POLICY?: string;
  /** Discord user ids (comma-separated) whose DMs OpenClaw answers (with DISCORD_DM_POLICY=allowlist). */
  DISCORD_DM_ALLOW_FROM?: string;
  /** Guild channels OpenClaw answers in without a mention: `<guild id>/<channel id>`, comma-separated. */
  DISCORD_GUILD_CHANNELS?: string;
  /** Another Discord API (moltlab's emulator): OpenClaw's REST base, e.g. http://127.0.0.1:PORT/api/v10; the Gateway is on its origin. */
  DISCORD_API_URL?: string;
  SLACK_BOT_TOKEN?: string;
  SLACK_APP_TOKEN?: string;

  // R2 over S3, for the container's backups
  R2_ACCESS_KEY_ID?: string;
  R2_SECRET_ACCESS_KEY?: string;
  CF_ACCOUNT_ID?: string;
  R2_BUCKET_NAME?: string;
  /** moltlab: S3 endpoint override (the local R2 stand-in); production derives it from CF_ACCOUNT_ID. */
  R2_ENDPOINT?: string;
  /** Local bridge networking only: where the container connects for R2_ENDPOINT (stack/r2.ts). */
  R2_CONNECT_HOST?: string;

  // Browser / CDP
  CDP_SECRET?: string;
  /** The Worker's public URL (the CDP shim's); its origin may also send state-changing requests. */
  WORKER_URL?: string;

  /**
   * moltlab: origins (comma-separated `scheme://host[:port]`) besides the Worker's own and
   * WORKER_URL's whose pages may send state-changing requests (POST, PUT, PATCH, DELETE, …)
   * and WebSocket upgrades with the user's Access session. Everything else that carries an
   * Origin is refused with 403 (see middleware/cross-site.ts).
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

/**
 * The manifest lists exactly Env's names: a field added here without its name there (or a
 * name left there after its field went) fails the typecheck, naming the field.
 */
type StringKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends string ? K : never }[keyof T];
type MustBeNever<T extends never> = T;
export type UnlistedVariables = MustBeNever<Exclude<StringKeys<Env>, (typeof VARIABLE_NAMES)[number]>>;
export type ListedNonVariables = MustBeNever<Exclude<(typeof VARIABLE_NAMES)[number], StringKeys<Env>>>;
export type UnlistedBindings = MustBeNever<Exclude<Exclude<keyof Env, StringKeys<Env>>, (typeof BINDING_NAMES)[number]>>;
export type ListedNonBindings = MustBeNever<Exclude<(typeof BINDING_NAMES)[number], Exclude<keyof Env, StringKeys<Env>>>>;

// ---- Hono ---------------------------------------------------------------------------------

export interface AccessIdentity {
  /** People have an email; service tokens a common_name (their client id). */
  email?: string;
  commonName?: string;
  sub: string;
}

/** What the dev-mode gate decided for this request (middleware/dev-mode.ts). */
export type DevModeDecision =
  | { bypass: true; flag: "DEV_MODE" | "E2E_TEST_MODE" }
  | { bypass: false }
  /** `refused` is logged; `header` is the X-Moltlab-Dev-Mode value that says why. */
  | { bypass: false; refused: string; header: string };

/** Hono's view of the Worker: its bindings and the per-request values middleware sets. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    devMode: DevModeDecision;
    /** Unset when the dev-mode bypass let the request through. */
    identity?: AccessIdentity;
  };
}

// ---- the Sandbox Durable Object -----------------------------------------------------------

export type SandboxStatus = "stopped" | "starting" | "running" | "stopping" | "crashed";

/** The supervisor's boot phases (restore, config, gateway), as its /health reports them. */
export type BootPhases = Record<string, { startedAt?: string; durationMs?: number; ok?: boolean }>;

export interface SandboxState {
  status: SandboxStatus;
  /** Containers started by this DO, ever. */
  starts: number;
  /** Exits nobody asked for. Each is followed by a fresh start on the next request. */
  crashes: number;
  startedAt: number | null;
  readyAt: number | null;
  /** Start → gateway ready, ms. */
  bootMs: number | null;
  phases: BootPhases | null;
  lastExit: (ExitInfo & { expected: boolean }) | null;
  lastStop: { reason: string; graceful: boolean; at: number } | null;
  /** The last wake that no request caused (a Cron Trigger): when, and until when it holds the container up (SANDBOX_SCHEDULE_AWAKE). */
  lastWake: { reason: string; at: number; until: number } | null;
  /** Why the last start failed or a request could not be served; never holds secrets. */
  lastError: string | null;
}

export interface SandboxStatusReport extends SandboxState {
  sleepAfterMs: number | null;
  lastActivityAt: number;
  openWebSockets: number;
  driver: string;
}

/** The control API's answer; the body stays JSON text so it crosses the RPC boundary as it is. */
export interface ControlResult {
  status: number;
  json: string;
}

/**
 * What the Worker calls on the Sandbox DO (container/sandbox.ts, which implements it). The
 * brand is what `DurableObjectNamespace<T>` asks of a DO type; the class gets it from its base.
 */
export interface SandboxRpc extends Rpc.DurableObjectBranded {
  /** Proxies a request (HTTP or WebSocket upgrade) to the gateway, starting the container if needed. */
  fetch(request: Request): Promise<Response>;
  /** Calls the supervisor's control API; `wake: false` answers 409 instead of starting the container. */
  control(method: "GET" | "POST", path: string, options: { wake: boolean }): Promise<ControlResult>;
  /** Last known state; never starts, probes or wakes the container. */
  status(): Promise<SandboxStatusReport>;
  /** Hands a Telegram update (checked by the Worker) to OpenClaw's webhook listener, starting the container if needed. */
  telegramUpdate(body: string): Promise<{ status: number; body: string; contentType?: string }>;
  /** A request for one of SANDBOX_WEB_SERVICES, past Access: to that port in the container, starting it if needed. */
  webService(port: number, request: Request): Promise<Response>;
  /** A Cron Trigger's wake: starts the container if it sleeps and keeps it up at least SANDBOX_SCHEDULE_AWAKE. */
  wakeForSchedule(cron: string): Promise<SandboxState>;
  /** Graceful stop (final backup) + a fresh start in the background. */
  restart(): Promise<SandboxState>;
  stop(reason?: string): Promise<SandboxState>;
}

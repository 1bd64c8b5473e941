/**
 * The Worker's vars and secrets — one builder for `npm run dev` (sandbox.ts) and the compose
 * worker service (compose-settings.ts): what moltworker's Worker needs (Access, R2, the model
 * provider, the gateway token) plus moltlab's own settings for the local Containers platform.
 * Vars go into the generated wrangler config, secrets into .dev.vars (sandbox-config.ts).
 * Pure: every value, secrets included, comes from the caller.
 */
import { WEB_SERVICES_VAR, type WebService } from "../contract/web-services.ts";
import { DEFAULT_ACCOUNT, DEFAULT_GATEWAY } from "../emulators/ai-gateway/handlers.ts";
import { UserError } from "../core/errors.ts";
import type { NetworkMode } from "../platform/client/types.ts";
import type { InstanceType } from "../contract/instance-types.ts";
import { EMULATED_MODEL, type Provider } from "./provider.ts";
import type { R2StandIn } from "./r2.ts";
import { devServerVars } from "./sandbox-config.ts";

/**
 * The model as the Worker gets it: the local AI Gateway (the emulator, or its recorder or cassette
 * player, at its URL as the container sees it), or a real provider. `route`: the account, gateway
 * and model of the user's real AI Gateway, kept when the local gateway records or replays that
 * gateway's traffic (the recorder forwards the path as it is; the cassette matches on the model).
 */
export type WorkerModel =
  | { kind: "emulator"; baseUrl: string; apiKey: string; route?: { account: string; gateway: string; model: string } }
  | Exclude<Provider, { kind: "emulator" }>;

/** Telegram for OpenClaw's channel: the bot, who may write to it, and whether updates come by webhook through the Worker. */
export interface TelegramWiring {
  botToken: string;
  /** The Bot API server as the container reaches it (the emulator's URL, translated for its network). */
  apiRoot?: string;
  dmPolicy?: "pairing" | "allowlist" | "open" | "disabled";
  allowFrom?: readonly (string | number)[];
  /** Set: Telegram posts to the Worker's /telegram/webhook with this secret, which wakes a sleeping container. */
  webhookSecret?: string;
}

/**
 * Discord for OpenClaw's Discord channel (the @openclaw/discord plugin the image carries): the
 * bot, who may write to it, and the guild channels it answers in without a mention. It holds a
 * Gateway WebSocket: it hears nothing while the container sleeps.
 */
export interface DiscordWiring {
  botToken: string;
  /** DISCORD_API_URL: the REST base as the container reaches it (the emulator's apiUrl, translated for its network). */
  apiUrl?: string;
  dmPolicy?: "pairing" | "allowlist" | "open" | "disabled";
  allowFrom?: readonly string[];
  /** `{ guildId, channelId }` pairs answered without a mention (DISCORD_GUILD_CHANNELS). */
  guildChannels?: readonly { guildId: string; channelId: string }[];
}

export interface WorkerWiring {
  /** Where wrangler dev listens: the loopback marker only for a loopback address (devServerVars). */
  listenOn: string;
  /** DEV_MODE=true: Cloudflare Access skipped (honoured only with the loopback marker). */
  devMode?: boolean;
  /** SANDBOX_SLEEP_AFTER: stop the container after this much inactivity (the Worker parses it). */
  sleepAfter?: string;
  /** SANDBOX_WEB_SERVICES: your own web services in the container, each on its hostname (contract/web-services.ts). */
  webServices?: readonly WebService[];
  access: { teamDomain: string; audience: string };
  platform: { url: string; token: string };
  image: { tag: string; platform: string };
  network: NetworkMode;
  /** The CPU and memory the platform gives OpenClaw (wrangler.jsonc's instance_type, which the Worker never sees). */
  instanceType?: InstanceType;
  r2: R2StandIn;
  model: WorkerModel;
  /** MOLTBOT_GATEWAY_TOKEN, per run. */
  gatewayToken: string;
  /**
   * WORKER_URL: where browsers reach this Worker. The supervisor lists its origin for the Control
   * UI (container/supervisor/config.ts), which off the gateway's loopback is what lets its socket in.
   */
  workerUrl?: string;
  telegram?: TelegramWiring;
  discord?: DiscordWiring;
  /** OPENCLAW_HOOKS_TOKEN: OpenClaw's inbound webhooks on, with this token (container/supervisor/config.ts). */
  hooksToken?: string;
}

export interface WorkerEnv {
  vars: Record<string, string>;
  secrets: Record<string, string>;
}

/** The key the AI Gateway emulator is sent: it accepts any, and a fresh one per run keeps it out of every file in the repository. */
export function emulatorKey(secret: (bytes: number) => string): string {
  return `sk-moltlab-${secret(16)}`;
}

/** Why a cassette or a recording cannot serve a sandbox whose model is Anthropic directly. */
export function anthropicDirectNotTaped(): UserError {
  return new UserError(
    "a cassette or a recording goes through the AI Gateway's URLs, and ANTHROPIC_API_KEY sends the model to Anthropic directly",
    "unset ANTHROPIC_API_KEY; to record your real models, set CLOUDFLARE_AI_GATEWAY_API_KEY, CF_AI_GATEWAY_ACCOUNT_ID and CF_AI_GATEWAY_GATEWAY_ID (your AI Gateway) instead",
  );
}

/**
 * The Worker's model when the local gateway at `baseUrl` serves it: the emulator's route and a
 * fresh key, or, with the user's AI Gateway settings, their account, gateway, model and key sent
 * to the local gateway instead (a recorder passes them on upstream; a cassette player ignores the
 * key and matches the model). Anthropic directly has no AI Gateway URL to stand in front of.
 */
export function localGatewayModel(provider: Provider, baseUrl: string, secret: (bytes: number) => string): WorkerModel {
  if (provider.kind === "emulator") return { kind: "emulator", baseUrl, apiKey: emulatorKey(secret) };
  if (provider.kind === "anthropic") throw anthropicDirectNotTaped();
  return {
    kind: "emulator",
    baseUrl,
    apiKey: provider.secrets.CLOUDFLARE_AI_GATEWAY_API_KEY!,
    route: {
      account: provider.vars.CF_AI_GATEWAY_ACCOUNT_ID!,
      gateway: provider.vars.CF_AI_GATEWAY_GATEWAY_ID!,
      model: provider.vars.CF_AI_GATEWAY_MODEL ?? EMULATED_MODEL,
    },
  };
}

export function workerEnv(wiring: WorkerWiring): WorkerEnv {
  const { model } = wiring;
  const vars: Record<string, string> = {
    ...devServerVars(wiring.listenOn),
    ...(wiring.devMode ? { DEV_MODE: "true" } : {}),
    ...(wiring.sleepAfter ? { SANDBOX_SLEEP_AFTER: wiring.sleepAfter } : {}),
    ...(wiring.webServices?.length ? { [WEB_SERVICES_VAR]: wiring.webServices.map((service) => `${service.host}=${service.port}`).join(",") } : {}),
    CF_ACCESS_TEAM_DOMAIN: wiring.access.teamDomain,
    MOLTLAB_CONTAINERS_URL: wiring.platform.url,
    MOLTLAB_CONTAINER_IMAGE: wiring.image.tag,
    MOLTLAB_CONTAINER_PLATFORM: wiring.image.platform,
    MOLTLAB_CONTAINERS_NETWORK: wiring.network,
    ...(wiring.instanceType ? { MOLTLAB_INSTANCE_TYPE: wiring.instanceType } : {}),
    R2_ENDPOINT: wiring.r2.endpoint,
    ...(wiring.r2.connectHost ? { R2_CONNECT_HOST: wiring.r2.connectHost } : {}),
    R2_BUCKET_NAME: wiring.r2.bucket,
    ...(wiring.workerUrl ? { WORKER_URL: wiring.workerUrl } : {}),
    ...telegramVars(wiring.telegram),
    ...discordVars(wiring.discord),
    ...(model.kind === "emulator"
      ? {
          CF_AI_GATEWAY_ACCOUNT_ID: model.route?.account ?? DEFAULT_ACCOUNT,
          CF_AI_GATEWAY_GATEWAY_ID: model.route?.gateway ?? DEFAULT_GATEWAY,
          CF_AI_GATEWAY_MODEL: model.route?.model ?? EMULATED_MODEL,
          CF_AI_GATEWAY_BASE_URL: model.baseUrl,
        }
      : model.kind === "ai-gateway"
        ? model.vars
        : {}),
  };
  const secrets: Record<string, string> = {
    MOLTBOT_GATEWAY_TOKEN: wiring.gatewayToken,
    MOLTLAB_PLATFORM_TOKEN: wiring.platform.token,
    CF_ACCESS_AUD: wiring.access.audience,
    R2_ACCESS_KEY_ID: wiring.r2.accessKeyId,
    R2_SECRET_ACCESS_KEY: wiring.r2.secretAccessKey,
    ...(model.kind === "emulator" ? { CLOUDFLARE_AI_GATEWAY_API_KEY: model.apiKey } : model.secrets),
    ...(wiring.telegram ? { TELEGRAM_BOT_TOKEN: wiring.telegram.botToken } : {}),
    ...(wiring.telegram?.webhookSecret ? { TELEGRAM_WEBHOOK_SECRET: wiring.telegram.webhookSecret } : {}),
    ...(wiring.discord ? { DISCORD_BOT_TOKEN: wiring.discord.botToken } : {}),
    ...(wiring.hooksToken ? { OPENCLAW_HOOKS_TOKEN: wiring.hooksToken } : {}),
  };
  return { vars, secrets };
}

function telegramVars(telegram: TelegramWiring | undefined): Record<string, string> {
  if (!telegram) return {};
  return {
    ...(telegram.apiRoot ? { TELEGRAM_API_ROOT: telegram.apiRoot } : {}),
    ...(telegram.dmPolicy ? { TELEGRAM_DM_POLICY: telegram.dmPolicy } : {}),
    ...(telegram.allowFrom?.length ? { TELEGRAM_DM_ALLOW_FROM: telegram.allowFrom.join(",") } : {}),
  };
}

function discordVars(discord: DiscordWiring | undefined): Record<string, string> {
  if (!discord) return {};
  return {
    ...(discord.apiUrl ? { DISCORD_API_URL: discord.apiUrl } : {}),
    ...(discord.dmPolicy ? { DISCORD_DM_POLICY: discord.dmPolicy } : {}),
    ...(discord.allowFrom?.length ? { DISCORD_DM_ALLOW_FROM: discord.allowFrom.join(",") } : {}),
    ...(discord.guildChannels?.length
      ? { DISCORD_GUILD_CHANNELS: discord.guildChannels.map(({ guildId, channelId }) => `${guildId}/${channelId}`).join(",") }
      : {}),
  };
}

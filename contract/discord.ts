/**
 * What OpenClaw's Discord channel (the `@openclaw/discord` plugin, extensions/discord in
 * openclaw/openclaw) needs from a Discord: where it is, and what it asks for when it connects.
 */

/**
 * The process-wide override OpenClaw's Discord plugin reads (extensions/discord/src/endpoint-runtime.ts):
 * a complete, versioned REST base such as `http://127.0.0.1:PORT/api/v10` (HTTPS, or HTTP on loopback).
 * The plugin derives `<base>/gateway/bot` from it and accepts a Gateway WebSocket URL only on the
 * same origin (ws:// for http://), so REST and Gateway must share host and port.
 */
export const DISCORD_API_URL_ENV = "DISCORD_API_URL";
/** The conventional variable for the bot token (OpenClaw's config key is channels.discord.token; an env fallback is not confirmed here). */
export const DISCORD_BOT_TOKEN_ENV = "DISCORD_BOT_TOKEN";
/** The REST and Gateway version OpenClaw speaks (rest.ts `apiVersion: 10`, gateway `?v=10&encoding=json`). */
export const DISCORD_API_VERSION = 10;

/** Gateway intent bits (Discord's list; the ones OpenClaw asks for are combined below). */
export const DISCORD_INTENTS = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildModeration: 1 << 2,
  GuildExpressions: 1 << 3,
  GuildIntegrations: 1 << 4,
  GuildWebhooks: 1 << 5,
  GuildInvites: 1 << 6,
  GuildVoiceStates: 1 << 7,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  GuildMessageTyping: 1 << 11,
  DirectMessages: 1 << 12,
  DirectMessageReactions: 1 << 13,
  DirectMessageTyping: 1 << 14,
  MessageContent: 1 << 15,
  GuildScheduledEvents: 1 << 16,
  AutoModerationConfiguration: 1 << 20,
  AutoModerationExecution: 1 << 21,
  GuildMessagePolls: 1 << 24,
  DirectMessagePolls: 1 << 25,
} as const;

/**
 * OpenClaw's default intents (resolveDiscordGatewayIntents in extensions/discord/src/monitor/gateway-plugin.ts):
 * guilds, guild and direct messages and their reactions, message content and voice states — 46721.
 * `intents.presence` and `intents.guildMembers` in its config add the two other privileged intents.
 */
export const OPENCLAW_DISCORD_INTENTS =
  DISCORD_INTENTS.Guilds |
  DISCORD_INTENTS.GuildMessages |
  DISCORD_INTENTS.MessageContent |
  DISCORD_INTENTS.DirectMessages |
  DISCORD_INTENTS.GuildMessageReactions |
  DISCORD_INTENTS.DirectMessageReactions |
  DISCORD_INTENTS.GuildVoiceStates;

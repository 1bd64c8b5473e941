/**
 * Discord's REST API v10 for a bot (`Authorization: Bot <token>`): the routes OpenClaw's Discord
 * plugin calls — start-up (gateway/bot, users/@me, oauth2/applications/@me, application commands),
 * messages, typing, reactions, DMs — answered with Discord's objects, error codes and rate-limit
 * headers. Every call is recorded on the bot (never the token); an unknown route is 404 code 0.
 */
import { createHash } from "node:crypto";
import { type Context, Hono } from "hono";
import type { ApiCall, EmulatedBot } from "./bot.ts";
import {
  CANNOT_EDIT_OTHERS,
  DiscordError,
  INVALID_JSON,
  INVALID_RECIPIENTS,
  invalidFormBody,
  NOT_FOUND,
  UNAUTHORIZED,
  UNKNOWN_APPLICATION,
  UNKNOWN_CHANNEL,
  UNKNOWN_COMMAND,
  UNKNOWN_EMOJI,
  UNKNOWN_GUILD,
  UNKNOWN_MEMBER,
  UNKNOWN_MESSAGE,
  UNKNOWN_USER,
} from "./errors.ts";
import { checkMessageBody, readMessageBody } from "./messages.ts";
import { snowflake } from "./snowflake.ts";
import { tokenFromAuthorization } from "./tokens.ts";
import type { ApplicationCommand, Channel, Message } from "./types.ts";
import type { DiscordWorld } from "./world.ts";

export interface RestRegistry {
  world: DiscordWorld;
  byToken(token: string): EmulatedBot | undefined;
  /** The Gateway's URL (ws:// on the REST origin). */
  gatewayUrl(): string;
  /** Where attachment URLs point (not served). */
  origin(): string;
  /** One line per route the emulator does not implement. */
  onUnsupported?: (route: string) => void;
}

type Env = { Variables: { bot: EmulatedBot; call: ApiCall } };

const API_VERSIONS = new Set(["v9", "v10"]);

/** Generous limits, never exhausted in practice: clients see the headers they parse, and never wait. */
const RATE_LIMIT = 10_000;

/** `/channels/1234…/messages` → `/channels/:id/messages`: how calls are recorded and buckets named. */
export function routeOf(path: string): string {
  return path.replace(/^\/api\/v\d+/, "").replace(/\/\d{15,21}(?=\/|$)/g, "/:id") || "/";
}

function errorResponse(error: DiscordError): Response {
  return Response.json(error.body(), { status: error.status });
}

async function jsonBody<T>(request: Request): Promise<T> {
  try {
    return (await request.json()) as T;
  } catch {
    throw INVALID_JSON();
  }
}

/** The reaction path's emoji: a Unicode emoji, or `name:id` for a custom one (this guild has none). */
function parseEmoji(raw: string): { id: string | null; name: string } {
  const emoji = decodeURIComponent(raw);
  if (/^a?:?[\w~]+:\d+$/.test(emoji) || !emoji || /^[\w\s]+$/.test(emoji)) throw UNKNOWN_EMOJI();
  return { id: null, name: emoji };
}

export function createRestApp(registry: RestRegistry): Hono<Env> {
  const { world } = registry;
  // Served at /api/v10 (and /api/v9, which speaks the same for these routes).
  const rest = new Hono<Env>().basePath("/api/:version");
  const windows = new Map<string, { start: number; count: number }>();

  rest.onError((error, c) => {
    if (!(error instanceof DiscordError)) throw error;
    const call = c.get("call");
    if (call) call.error = error.message;
    return errorResponse(error);
  });

  rest.use("*", async (c, next) => {
    if (!API_VERSIONS.has(c.req.param("version") ?? "")) return errorResponse(NOT_FOUND());
    const route = routeOf(c.req.path);
    // Get Gateway is the one route that needs no token.
    if (route === "/gateway" && c.req.method === "GET") return next();
    const token = tokenFromAuthorization(c.req.header("authorization"));
    const bot = token ? registry.byToken(token) : undefined;
    if (!bot) return errorResponse(UNAUTHORIZED());
    const call: ApiCall = { method: c.req.method, route, at: Date.now() };
    c.set("bot", bot);
    c.set("call", call);
    bot.recordCall(call);
    await next();
    call.status = c.res.status;
    const bucket = `${c.req.method} ${route}`;
    const now = Date.now();
    const window = windows.get(bucket);
    const current = window && now - window.start < 1000 ? window : { start: now, count: 0 };
    current.count++;
    windows.set(bucket, current);
    const resetAfter = (1000 - (now - current.start)) / 1000;
    c.res.headers.set("x-ratelimit-limit", String(RATE_LIMIT));
    c.res.headers.set("x-ratelimit-remaining", String(Math.max(1, RATE_LIMIT - current.count)));
    c.res.headers.set("x-ratelimit-reset", ((now + resetAfter * 1000) / 1000).toFixed(3));
    c.res.headers.set("x-ratelimit-reset-after", resetAfter.toFixed(3));
    c.res.headers.set("x-ratelimit-bucket", createHash("sha256").update(bucket).digest("hex").slice(0, 32));
  });

  const channelFor = (c: Context<Env>): Channel => {
    const channel = world.channels.get(c.req.param("channel") ?? "");
    if (!channel || !world.canSee(c.get("bot").user.id, channel)) throw UNKNOWN_CHANNEL();
    return channel;
  };
  const messageIn = (channel: Channel, id: string | undefined): Message => {
    const message = id ? world.findMessage(channel.id, id) : undefined;
    if (!message) throw UNKNOWN_MESSAGE();
    return message;
  };
  const applicationOf = (c: Context<Env>) => {
    const bot = c.get("bot");
    if (c.req.param("application") !== bot.application.id) throw UNKNOWN_APPLICATION();
    return bot;
  };
  const guildOf = (c: Context<Env>) => {
    if (c.req.param("guild") !== world.guild.id) throw UNKNOWN_GUILD();
    return world.guild;
  };

  rest.get("/gateway", (c) => c.json({ url: registry.gatewayUrl() }));
  rest.get("/gateway/bot", (c) =>
    c.json({ url: registry.gatewayUrl(), shards: 1, session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 } }),
  );

  rest.get("/users/:user", (c) => {
    if (c.req.param("user") === "@me") return c.json(c.get("bot").user);
    const user = world.users.get(c.req.param("user"));
    if (!user) throw UNKNOWN_USER();
    return c.json(user);
  });
  rest.post("/users/@me/channels", async (c) => {
    const { recipient_id } = await jsonBody<{ recipient_id?: string }>(c.req.raw);
    const person = recipient_id ? world.users.get(recipient_id) : undefined;
    if (!person || person.bot) throw INVALID_RECIPIENTS();
    return c.json(world.dmChannel(c.get("bot").user.id, person));
  });
  rest.get("/oauth2/applications/@me", (c) => c.json(c.get("bot").application));
  rest.get("/applications/@me", (c) => c.json(c.get("bot").application));

  rest.get("/channels/:channel", (c) => c.json(channelFor(c)));
  rest.get("/channels/:channel/messages", (c) => {
    const channel = channelFor(c);
    const limit = Math.min(100, Math.max(1, Number(c.req.query("limit") ?? 50) || 50));
    const before = c.req.query("before");
    const after = c.req.query("after");
    let messages = [...world.messagesIn(channel.id)].reverse();
    if (before) messages = messages.filter((message) => BigInt(message.id) < BigInt(before));
    if (after) messages = messages.filter((message) => BigInt(message.id) > BigInt(after));
    return c.json(messages.slice(0, limit));
  });
  rest.get("/channels/:channel/messages/:message", (c) => c.json(messageIn(channelFor(c), c.req.param("message"))));
  rest.post("/channels/:channel/messages", async (c) => {
    const channel = channelFor(c);
    const bot = c.get("bot");
    const { body, files } = await readMessageBody(c.req.raw, `${registry.origin()}/attachments/${channel.id}`);
    checkMessageBody(body, files, true);
    const reference = body.message_reference;
    if (reference?.message_id && !world.findMessage(reference.channel_id ?? channel.id, reference.message_id) && reference.fail_if_not_exists !== false)
      throw invalidFormBody("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message");
    const message = world.post(channel, bot.user, {
      content: body.content ?? "",
      embeds: body.embeds ?? [],
      components: body.components ?? [],
      attachments: files,
      tts: body.tts === true,
      flags: body.flags ?? 0,
      ...(body.nonce !== undefined ? { nonce: body.nonce } : {}),
      ...(reference?.message_id && world.findMessage(reference.channel_id ?? channel.id, reference.message_id) ? { message_reference: reference } : {}),
    });
    bot.record({ kind: "send", route: "POST /channels/:id/messages", channelId: channel.id, messageId: message.id, message: structuredClone(message) });
    return c.json(message);
  });
  rest.patch("/channels/:channel/messages/:message", async (c) => {
    const channel = channelFor(c);
    const bot = c.get("bot");
    const message = messageIn(channel, c.req.param("message"));
    if (message.author.id !== bot.user.id) throw CANNOT_EDIT_OTHERS();
    const { body, files } = await readMessageBody(c.req.raw, `${registry.origin()}/attachments/${channel.id}`);
    checkMessageBody(body, files, false);
    const fields: Partial<Message> = {};
    if (body.content !== undefined) fields.content = body.content ?? "";
    if (body.embeds !== undefined) fields.embeds = body.embeds ?? [];
    if (body.components !== undefined) fields.components = body.components ?? [];
    if (body.flags !== undefined) fields.flags = body.flags;
    if (files.length) fields.attachments = [...message.attachments, ...files];
    world.edit(channel, message, fields);
    bot.record({ kind: "edit", route: "PATCH /channels/:id/messages/:id", channelId: channel.id, messageId: message.id, message: structuredClone(message) });
    return c.json(message);
  });
  rest.delete("/channels/:channel/messages/:message", (c) => {
    const channel = channelFor(c);
    const message = messageIn(channel, c.req.param("message"));
    world.remove(channel, message);
    c.get("bot").record({
      kind: "delete",
      route: "DELETE /channels/:id/messages/:id",
      channelId: channel.id,
      messageId: message.id,
      message: structuredClone(message),
    });
    return c.body(null, 204);
  });
  rest.post("/channels/:channel/typing", (c) => {
    const channel = channelFor(c);
    c.get("bot").record({ kind: "typing", route: "POST /channels/:id/typing", channelId: channel.id });
    return c.body(null, 204);
  });
  for (const [method, add] of [
    ["PUT", true],
    ["DELETE", false],
  ] as const)
    rest.on(method, "/channels/:channel/messages/:message/reactions/:emoji/@me", (c) => {
      const channel = channelFor(c);
      const message = messageIn(channel, c.req.param("message"));
      const emoji = parseEmoji(c.req.param("emoji"));
      const bot = c.get("bot");
      world.react(channel, message, bot.user, emoji, add);
      bot.record({
        kind: add ? "react" : "unreact",
        route: `${method} /channels/:id/messages/:id/reactions/:emoji/@me`,
        channelId: channel.id,
        messageId: message.id,
        emoji: emoji.name,
      });
      return c.body(null, 204);
    });

  rest.get("/guilds/:guild", (c) => c.json({ ...guildOf(c), approximate_member_count: world.members.size, approximate_presence_count: 0 }));
  rest.get("/guilds/:guild/channels", (c) => {
    guildOf(c);
    return c.json(world.textChannels());
  });
  rest.get("/guilds/:guild/roles", (c) => c.json(guildOf(c).roles));
  rest.get("/guilds/:guild/members/:user", (c) => {
    guildOf(c);
    const member = world.memberPayload(c.req.param("user"), true);
    if (!member) throw UNKNOWN_MEMBER();
    return c.json(member);
  });

  // Application commands (OpenClaw deploys its native slash commands at start-up).
  const commandsIn = (bot: EmulatedBot, guildId: string | undefined) => [...bot.commands.values()].filter((command) => command.guild_id === guildId);
  const saveCommand = (bot: EmulatedBot, input: Record<string, unknown>, guildId: string | undefined): ApplicationCommand => {
    if (typeof input.name !== "string" || !/^[-_\p{L}\p{N}]{1,32}$/u.test(input.name))
      throw invalidFormBody("name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
    const type = typeof input.type === "number" ? input.type : 1;
    const existing = commandsIn(bot, guildId).find((command) => command.name === input.name && command.type === type);
    const command: ApplicationCommand = {
      description: "",
      ...input,
      type,
      name: input.name,
      id: existing?.id ?? snowflake(),
      application_id: bot.application.id,
      version: snowflake(),
      ...(guildId ? { guild_id: guildId } : {}),
    } as ApplicationCommand;
    bot.commands.set(command.id, command);
    return command;
  };
  const overwrite = async (c: Context<Env>, guildId: string | undefined) => {
    const bot = applicationOf(c);
    const list = await jsonBody<Record<string, unknown>[]>(c.req.raw);
    if (!Array.isArray(list)) throw invalidFormBody("_root", "BASE_TYPE_ARRAY", "Must be an array.");
    for (const command of commandsIn(bot, guildId)) bot.commands.delete(command.id);
    return c.json(list.map((input) => saveCommand(bot, input, guildId)));
  };
  rest.get("/applications/:application/commands", (c) => c.json(commandsIn(applicationOf(c), undefined)));
  rest.put("/applications/:application/commands", (c) => overwrite(c, undefined));
  rest.post("/applications/:application/commands", async (c) => {
    const bot = applicationOf(c);
    return c.json(saveCommand(bot, await jsonBody<Record<string, unknown>>(c.req.raw), undefined), 201);
  });
  rest.get("/applications/:application/commands/:command", (c) => {
    const command = applicationOf(c).commands.get(c.req.param("command"));
    if (!command) throw UNKNOWN_COMMAND();
    return c.json(command);
  });
  rest.patch("/applications/:application/commands/:command", async (c) => {
    const bot = applicationOf(c);
    const command = bot.commands.get(c.req.param("command"));
    if (!command) throw UNKNOWN_COMMAND();
    const changed = { ...command, ...(await jsonBody<Record<string, unknown>>(c.req.raw)), id: command.id, version: snowflake() } as ApplicationCommand;
    bot.commands.set(command.id, changed);
    return c.json(changed);
  });
  rest.delete("/applications/:application/commands/:command", (c) => {
    if (!applicationOf(c).commands.delete(c.req.param("command"))) throw UNKNOWN_COMMAND();
    return c.body(null, 204);
  });
  rest.get("/applications/:application/guilds/:guild/commands", (c) => {
    const bot = applicationOf(c);
    return c.json(commandsIn(bot, guildOf(c).id));
  });
  rest.put("/applications/:application/guilds/:guild/commands", (c) => overwrite(c, guildOf(c).id));

  rest.notFound((c) => {
    const route = `${c.req.method} ${routeOf(c.req.path)}`;
    const bot = c.get("bot");
    if (bot) {
      bot.unsupported.push(route);
      const call = c.get("call");
      if (call) call.error = "404: Not Found";
    }
    registry.onUnsupported?.(route);
    return errorResponse(NOT_FOUND());
  });
  return rest;
}

/**
 * The HTTP side: Discord's REST API under /api/v10 (rest.ts), and a control API under CONTROL_PATH
 * for what people do and what the bot did (not a Discord route: it lets another process — a test,
 * `npm run dev`, a script — play the users). The Gateway shares this origin (gateway.ts).
 */
import { Hono } from "hono";
import type { EmulatedBot } from "./bot.ts";
import { DiscordError, NOT_FOUND } from "./errors.ts";
import type { Gateway } from "./gateway.ts";
import { createRestApp, type RestRegistry } from "./rest.ts";
import { userSends, type UserMessageInput } from "./users.ts";

export const CONTROL_PATH = "/__moltlab/discord";

export interface DiscordRegistry extends RestRegistry {
  gateway: Gateway;
  byId(id: string): EmulatedBot | undefined;
  revoke(bot: EmulatedBot): void;
}

async function jsonBody<T>(request: Request): Promise<T> {
  try {
    return (await request.json()) as T;
  } catch {
    throw new DiscordError(400, 50109, "The request body contains invalid JSON (the control API takes a JSON body).");
  }
}

export function createDiscordApp(registry: DiscordRegistry): Hono {
  const rest = createRestApp(registry);
  const { world, gateway } = registry;
  const app = new Hono();
  const botFor = (id: string) => {
    const bot = registry.byId(id);
    if (!bot) throw new DiscordError(404, 0, `no bot with id ${id} in this emulator`);
    return bot;
  };
  app.onError((error) => {
    if (error instanceof DiscordError) return Response.json(error.body(), { status: error.status });
    throw error;
  });

  app.get(`${CONTROL_PATH}/guild`, (c) => c.json({ guild: world.guild, channels: world.textChannels() }));
  app.post(`${CONTROL_PATH}/bots/:id/messages`, async (c) => {
    const input = await jsonBody<{ from: UserMessageInput["from"]; channel_id?: string; dm?: boolean; text: string; reply_to?: string }>(c.req.raw);
    const { message, channel } = userSends(world, botFor(c.req.param("id")), {
      from: input.from,
      text: input.text,
      ...(input.channel_id ? { channelId: input.channel_id } : {}),
      ...(input.dm ? { dm: true } : {}),
      ...(input.reply_to ? { replyTo: input.reply_to } : {}),
    });
    return c.json({ message, channel });
  });
  app.get(`${CONTROL_PATH}/bots/:id/actions`, (c) => {
    const bot = botFor(c.req.param("id"));
    const channel = c.req.query("channel_id");
    return c.json(channel === undefined ? bot.actions : bot.actions.filter((action) => action.channelId === channel));
  });
  app.get(`${CONTROL_PATH}/bots/:id/calls`, (c) => {
    const bot = botFor(c.req.param("id"));
    return c.json({ calls: bot.calls, unsupported: bot.unsupported });
  });
  app.get(`${CONTROL_PATH}/bots/:id/sessions`, (c) => c.json(gateway.sessionsOf(botFor(c.req.param("id"))).map((session) => session.info())));
  app.post(`${CONTROL_PATH}/bots/:id/sessions/drop`, (c) => c.json({ dropped: gateway.drop(botFor(c.req.param("id"))) }));
  app.post(`${CONTROL_PATH}/bots/:id/sessions/reconnect`, (c) => c.json({ asked: gateway.requestReconnect(botFor(c.req.param("id"))) }));
  app.post(`${CONTROL_PATH}/bots/:id/sessions/close`, async (c) => {
    const bot = botFor(c.req.param("id"));
    const { code, reason } = await jsonBody<{ code?: number; reason?: string }>(c.req.raw);
    if (typeof code !== "number" || !(code === 1000 || (code >= 3000 && code <= 4999)))
      throw new DiscordError(400, 0, `close takes { "code": 1000 or 3000–4999 }, e.g. 4000 (resumable) or 4009 (session ended)`);
    return c.json({ closed: gateway.close(code, reason, bot) });
  });
  app.post(`${CONTROL_PATH}/bots/:id/revoke`, (c) => {
    registry.revoke(botFor(c.req.param("id")));
    return c.body(null, 204);
  });

  app.all("/api/*", (c) => rest.fetch(c.req.raw));
  app.all("*", () => Response.json(NOT_FOUND().body(), { status: 404 }));
  return app;
}

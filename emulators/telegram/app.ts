/**
 * The HTTP side: `/bot<token>/<method>` as api.telegram.org serves it (GET or POST, any of the
 * Bot API's encodings), and a control API under CONTROL_PATH for what people do (not a
 * Telegram route: it lets another process — a test, `npm run dev`, a script — play the users).
 */
import { Hono } from "hono";
import type { ApiCall, EmulatedBot } from "./bot.ts";
import { badRequest, NOT_FOUND, TelegramError, UNAUTHORIZED } from "./errors.ts";
import { METHODS } from "./methods.ts";
import { Params } from "./params.ts";
import { isWellFormedToken } from "./tokens.ts";
import type { ApiAnswer } from "./types.ts";
import { userPresses, userSends, type PersonInput, type UserMessageInput } from "./users.ts";
import type { WebhookDelivery } from "./webhook.ts";

export const CONTROL_PATH = "/__moltlab/telegram";

export interface TelegramRegistry {
  byToken(token: string): EmulatedBot | undefined;
  byId(id: number): EmulatedBot | undefined;
  delivery(bot: EmulatedBot): WebhookDelivery;
  maxPollSeconds: number;
  /** One line per method the emulator does not implement (it answers them 404, like an unknown name). */
  onUnsupported?: (method: string) => void;
}

const API_PATH = /^\/bot([^/]+)\/([A-Za-z0-9_]+)\/?$/;

function answer(body: ApiAnswer, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function errorAnswer(error: TelegramError): Response {
  return answer(error.answer(), error.errorCode);
}

async function callMethod(registry: TelegramRegistry, request: Request): Promise<Response> {
  const match = API_PATH.exec(new URL(request.url).pathname);
  if (!match) return errorAnswer(NOT_FOUND());
  const [, token, method] = match as unknown as [string, string, string];
  if (!isWellFormedToken(decodeURIComponent(token))) return errorAnswer(NOT_FOUND());
  const bot = registry.byToken(decodeURIComponent(token));
  if (!bot) return errorAnswer(UNAUTHORIZED());
  const handler = METHODS[method.toLowerCase()];
  const call: ApiCall = { method, at: Date.now() };
  bot.calls.push(call);
  bot.events.emit("call", call);
  const answered = (error?: string) => {
    if (error) call.error = error;
    call.answered = true;
    bot.events.emit("answered", call);
  };
  if (!handler) {
    bot.unsupported.push(method);
    registry.onUnsupported?.(method);
    answered("Not Found");
    return errorAnswer(NOT_FOUND());
  }
  try {
    const params = await Params.from(request);
    const result = await handler({
      bot,
      params,
      signal: request.signal,
      deliver: () => registry.delivery(bot).kick(),
      maxPollSeconds: registry.maxPollSeconds,
    });
    answered();
    return answer({ ok: true, result });
  } catch (error) {
    if (!(error instanceof TelegramError)) throw error;
    answered(error.description);
    return errorAnswer(error);
  }
}

async function jsonBody<T>(request: Request): Promise<T> {
  try {
    return (await request.json()) as T;
  } catch {
    throw badRequest("the control API takes a JSON body");
  }
}

export function createTelegramApp(registry: TelegramRegistry): Hono {
  const app = new Hono();
  const botFor = (id: string) => {
    const bot = registry.byId(Number(id));
    if (!bot) throw new TelegramError(404, `no bot with id ${id} in this emulator`);
    return bot;
  };
  app.onError((error) => {
    if (error instanceof TelegramError) return errorAnswer(error);
    throw error;
  });

  app.post(`${CONTROL_PATH}/bots/:id/messages`, async (c) => {
    const { message, update } = userSends(botFor(c.req.param("id")), await jsonBody<UserMessageInput>(c.req.raw));
    return c.json({ ok: true, result: { message, update: update ?? null } });
  });
  app.post(`${CONTROL_PATH}/bots/:id/callbacks`, async (c) => {
    const input = await jsonBody<{ from: PersonInput; chat_id: number; message_id: number; data: string }>(c.req.raw);
    const update = userPresses(botFor(c.req.param("id")), { from: input.from, chatId: input.chat_id, messageId: input.message_id, data: input.data });
    return c.json({ ok: true, result: update ?? null });
  });
  app.get(`${CONTROL_PATH}/bots/:id/actions`, (c) => {
    const bot = botFor(c.req.param("id"));
    const chat = c.req.query("chat_id");
    const actions = chat === undefined ? bot.actions : bot.actions.filter((action) => action.message.chat.id === Number(chat));
    return c.json({ ok: true, result: actions });
  });
  app.get(`${CONTROL_PATH}/bots/:id/calls`, (c) => {
    const bot = botFor(c.req.param("id"));
    return c.json({ ok: true, result: { calls: bot.calls, unsupported: bot.unsupported } });
  });

  app.all("*", (c) => callMethod(registry, c.req.raw));
  return app;
}

/**
 * Telegram's Bot API on 127.0.0.1, for OpenClaw's Telegram channel (its `apiRoot` setting,
 * TELEGRAM_API_ROOT in the container): bots with tokens checked as Telegram checks them, long
 * polling and webhooks, the messages a bot sends and edits, and the people writing to it.
 */
import { waitForEvent } from "../../core/wait-for-event.ts";
import { serveFetch, type ServeOptions, type StartedServer } from "../../core/serve.ts";
import { createTelegramApp, CONTROL_PATH } from "./app.ts";
import { type ApiCall, type BotAction, botUser, EmulatedBot } from "./bot.ts";
import { generateToken, isWellFormedToken, botIdOf } from "./tokens.ts";
import { userPresses, userSends, type PersonInput, type UserMessageInput } from "./users.ts";
import { type DeliveryOptions, WebhookDelivery } from "./webhook.ts";
import type { Message, Update } from "./types.ts";

export { CONTROL_PATH } from "./app.ts";
export { SECRET_HEADER } from "./webhook.ts";
export { isWellFormedToken } from "./tokens.ts";
export type { ApiCall, BotAction, EmulatedBot } from "./bot.ts";
export type { Message, Update, User, Chat, WebhookInfo } from "./types.ts";
export type { PersonInput, UserMessageInput } from "./users.ts";

export interface BotInput {
  username: string;
  firstName?: string;
  /** Default: generated for the bot's id (a random 10-digit id unless the token names one). */
  token?: string;
}

export interface TelegramOptions extends ServeOptions {
  /** Default: one bot, @moltlab_test_bot. */
  bots?: BotInput[];
  /** getUpdates' timeout is capped at this (Telegram: 50 s). */
  maxPollSeconds?: number;
  webhook?: DeliveryOptions;
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Default: the first bot. */
  bot?: EmulatedBot;
}

export interface StartedTelegram extends StartedServer {
  /** What OpenClaw's `channels.telegram.apiRoot` (TELEGRAM_API_ROOT) takes: requests go to `${apiRoot}/bot<token>/<method>`. */
  readonly apiRoot: string;
  readonly controlUrl: string;
  readonly bots: readonly EmulatedBot[];
  /** The first bot, and its token. */
  readonly bot: EmulatedBot;
  readonly token: string;
  addBot(input: BotInput): EmulatedBot;
  /** Revokes the bot's token, as BotFather's /revoke does: every call with it is 401 Unauthorized from now on. */
  revoke(bot?: EmulatedBot): void;
  /** A person writes to the bot (privately unless `group` is given). */
  userSends(input: UserMessageInput, bot?: EmulatedBot): { message: Message; update: Update | undefined };
  userPresses(input: { from: PersonInput; chatId: number; messageId: number; data: string }, bot?: EmulatedBot): Update | undefined;
  /** What the bot has sent, edited and deleted, in order (in one chat when given). */
  actions(chatId?: number, bot?: EmulatedBot): BotAction[];
  /** Resolves with the first action (already done or to come) that `matches`; rejects after `timeoutMs` naming what it saw. */
  waitForAction(matches: (action: BotAction) => boolean, options?: WaitOptions): Promise<BotAction>;
  /**
   * Resolves with the first API call (already made or to come) of `method` (case-insensitive) that
   * `matches`: when it arrives, or with `answered` once the emulator has answered it.
   */
  waitForCall(method: string, options?: WaitOptions & { matches?: (call: ApiCall) => boolean; answered?: boolean }): Promise<ApiCall>;
  /** Resolves once the webhook has confirmed `update` (a 2xx answer). */
  waitForDelivery(update: Update, options?: WaitOptions): Promise<void>;
  /** Delivery attempts per update id (webhook mode). */
  deliveryAttempts(bot?: EmulatedBot): ReadonlyMap<number, number>;
}

const DEFAULT_BOT: BotInput = { username: "moltlab_test_bot", firstName: "moltlab test bot" };

export async function startTelegram(options: TelegramOptions = {}): Promise<StartedTelegram> {
  const byToken = new Map<string, EmulatedBot>();
  const byId = new Map<number, EmulatedBot>();
  const deliveries = new Map<EmulatedBot, WebhookDelivery>();
  const delivery = (bot: EmulatedBot) => {
    let existing = deliveries.get(bot);
    if (!existing) {
      existing = new WebhookDelivery(bot, options.webhook);
      deliveries.set(bot, existing);
    }
    return existing;
  };
  const addBot = (input: BotInput) => {
    if (input.token !== undefined && !isWellFormedToken(input.token))
      throw new Error(
        `"${input.token.slice(0, 12)}…" is not a bot token: Telegram's are <digits>:<35 of A-Z a-z 0-9 _ ->; leave token out to have one generated`,
      );
    const token = input.token ?? generateToken(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999));
    const id = botIdOf(token);
    if (byId.has(id)) throw new Error(`a bot with id ${id} exists already in this emulator`);
    const bot = new EmulatedBot(botUser(id, input.username, input.firstName ?? input.username), token);
    byToken.set(token, bot);
    byId.set(id, bot);
    delivery(bot);
    return bot;
  };
  const bots = (options.bots?.length ? options.bots : [DEFAULT_BOT]).map(addBot);
  const app = createTelegramApp({
    byToken: (token) => byToken.get(token),
    byId: (id) => byId.get(id),
    delivery,
    maxPollSeconds: options.maxPollSeconds ?? 50,
  });
  const server = await serveFetch((request) => app.fetch(request), options);
  const first = bots[0]!;

  function waitFor<T>(
    bot: EmulatedBot,
    event: string,
    existing: () => T | undefined,
    matches: (value: T) => boolean,
    timeoutMs: number,
    what: () => string,
  ): Promise<T> {
    return waitForEvent(bot.events, event, { existing, matches, timeoutMs, timedOut: () => `Telegram emulator: ${what()} within ${timeoutMs} ms` });
  }

  return {
    ...server,
    apiRoot: server.url,
    controlUrl: `${server.url}${CONTROL_PATH}`,
    bots,
    bot: first,
    token: first.token,
    addBot: (input) => {
      const bot = addBot(input);
      (bots as EmulatedBot[]).push(bot);
      return bot;
    },
    revoke: (bot = first) => {
      byToken.delete(bot.token);
    },
    userSends: (input, bot = first) => userSends(bot, input),
    userPresses: (input, bot = first) => userPresses(bot, input),
    actions: (chatId, bot = first) => (chatId === undefined ? [...bot.actions] : bot.actions.filter((action) => action.message.chat.id === chatId)),
    waitForAction: (matches, { timeoutMs = 30_000, bot = first } = {}) =>
      waitFor<BotAction>(
        bot,
        "action",
        () => bot.actions.find(matches),
        matches,
        timeoutMs,
        () =>
          `no matching bot action (it did: ${bot.actions.map((action) => `${action.method} "${action.message.text?.slice(0, 40)}"`).join(", ") || "nothing"}; calls: ${[...new Set(bot.calls.map((call) => call.method))].join(", ") || "none"})`,
      ),
    waitForCall: (method, { timeoutMs = 30_000, bot = first, matches = () => true, answered = false } = {}) => {
      const test = (call: ApiCall) => call.method.toLowerCase() === method.toLowerCase() && (!answered || call.answered === true) && matches(call);
      const calls = () => [...new Set(bot.calls.map((call) => call.method))].join(", ") || "none";
      return waitFor<ApiCall>(
        bot,
        answered ? "answered" : "call",
        () => bot.calls.find(test),
        test,
        timeoutMs,
        () => `no ${method} call${answered ? " answered" : ""} (calls: ${calls()})`,
      );
    },
    waitForDelivery: (update, { timeoutMs = 30_000, bot = first } = {}) =>
      waitFor<Update>(
        bot,
        "delivered",
        () => (bot.webhook && !bot.pendingUpdates().some((pending) => pending.update_id === update.update_id) ? update : undefined),
        (delivered) => delivered.update_id === update.update_id,
        timeoutMs,
        () => `update ${update.update_id} not delivered (${bot.webhook?.lastErrorMessage ?? "no webhook error recorded"})`,
      ).then(() => undefined),
    deliveryAttempts: (bot = first) => delivery(bot).attempts,
    stop: async () => {
      for (const item of deliveries.values()) item.stop();
      await server.stop();
    },
  };
}

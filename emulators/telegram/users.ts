/**
 * What people do on Telegram's side, for tests and the control API: write to the bot in a
 * private chat or a group, press an inline button. Each becomes an update for the bot.
 */
import { randomBytes } from "node:crypto";
import type { EmulatedBot } from "./bot.ts";
import { badRequest } from "./errors.ts";
import type { CallbackQuery, Chat, Message, Update, User } from "./types.ts";

export interface PersonInput {
  id: number;
  first_name?: string;
  username?: string;
  last_name?: string;
  language_code?: string;
}

export interface UserMessageInput {
  from: PersonInput;
  text: string;
  /** A group the message is posted in (negative id); default: the private chat with `from`. */
  group?: { id: number; title?: string; type?: "group" | "supergroup" };
  /** The message (in the same chat) this one replies to. */
  replyTo?: number;
}

function person(input: PersonInput): User {
  if (!Number.isSafeInteger(input.id) || input.id <= 0) throw badRequest("a user id is a positive integer");
  return {
    id: input.id,
    is_bot: false,
    first_name: input.first_name ?? `User ${input.id}`,
    ...(input.last_name ? { last_name: input.last_name } : {}),
    ...(input.username ? { username: input.username } : {}),
    ...(input.language_code ? { language_code: input.language_code } : {}),
  };
}

/** A message a person sends; the update the bot gets for it (undefined when allowed_updates filters it). */
export function userSends(bot: EmulatedBot, input: UserMessageInput): { message: Message; update: Update | undefined } {
  if (typeof input.text !== "string" || input.text.length === 0) throw badRequest("message text is empty");
  const from = person(input.from);
  let chat: Chat;
  if (input.group) {
    if (!Number.isSafeInteger(input.group.id) || input.group.id >= 0) throw badRequest("a group's chat id is a negative integer");
    chat = { id: input.group.id, type: input.group.type ?? "group", title: input.group.title ?? `Group ${-input.group.id}` };
  } else {
    chat = { id: from.id, type: "private", first_name: from.first_name, ...(from.username ? { username: from.username } : {}) };
  }
  bot.knowChat(chat);
  const replyTo = input.replyTo === undefined ? undefined : bot.findMessage(chat.id, input.replyTo);
  if (input.replyTo !== undefined && !replyTo) throw badRequest("message to be replied not found");
  const entities = input.text.startsWith("/") ? [{ type: "bot_command", offset: 0, length: input.text.split(/\s/)[0]!.length }] : undefined;
  const message = bot.newMessage(chat, from, { text: input.text, ...(entities ? { entities } : {}), ...(replyTo ? { reply_to_message: replyTo } : {}) });
  return { message, update: bot.enqueue("message", message) };
}

/** A press of an inline button under one of the bot's messages. */
export function userPresses(bot: EmulatedBot, input: { from: PersonInput; chatId: number; messageId: number; data: string }): Update | undefined {
  const message = bot.findMessage(input.chatId, input.messageId);
  if (!message || message.from?.id !== bot.user.id) throw badRequest("the bot sent no such message in that chat");
  const query: CallbackQuery = {
    id: randomBytes(8).readBigUInt64BE().toString(),
    from: person(input.from),
    message,
    chat_instance: String(input.chatId),
    data: input.data,
  };
  bot.openCallbacks.add(query.id);
  return bot.enqueue("callback_query", query);
}

/**
 * The Bot API methods the emulator answers, by lower-cased name (Telegram's method names are
 * case-insensitive). Each checks its parameters the way Telegram does and answers with its
 * result or a TelegramError carrying Telegram's description.
 */
import { TELEGRAM_SECRET_SHAPE } from "../../contract/telegram.ts";
import { type EmulatedBot, now } from "./bot.ts";
import { badRequest, TelegramError, WEBHOOK_ACTIVE } from "./errors.ts";
import { formatText } from "./formatting.ts";
import type { Params } from "./params.ts";
import { UPDATE_KINDS, type Chat, type Message, type MessageEntity, type Update, type UpdateKind, type WebhookInfo } from "./types.ts";

export interface MethodContext {
  bot: EmulatedBot;
  params: Params;
  /** Aborts when the client goes away (a long poll then ends quietly). */
  signal: AbortSignal;
  /** Starts delivering pending updates to the bot's webhook, if it has one. */
  deliver: () => void;
  /** getUpdates' timeout is capped here (Telegram allows up to 50 s); tests use less. */
  maxPollSeconds: number;
}

type Method = (context: MethodContext) => unknown;

const MAX_TEXT = 4096;
const CHAT_ACTIONS = [
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
];

function chatOf(bot: EmulatedBot, params: Params): Chat {
  const raw = params.string("chat_id");
  if (raw === undefined || raw === "") throw badRequest("chat_id is empty");
  const chat = /^-?\d+$/.test(raw.trim())
    ? bot.chats.get(Number(raw.trim()))
    : [...bot.chats.values()].find((known) => known.username && `@${known.username}`.toLowerCase() === raw.trim().toLowerCase());
  if (!chat) throw badRequest("chat not found");
  return chat;
}

function textOf(params: Params, name = "text"): { text: string; entities?: MessageEntity[] } {
  const raw = params.string(name) ?? "";
  const given = params.json<MessageEntity[]>("entities");
  const formatted = given ? { text: raw, entities: given } : formatText(raw, params.string("parse_mode"));
  if (!formatted.text.trim()) throw badRequest("message text is empty");
  if (formatted.text.length > MAX_TEXT) throw badRequest("message is too long");
  return formatted.entities.length ? formatted : { text: formatted.text };
}

function allowedUpdatesOf(params: Params): UpdateKind[] | undefined {
  const list = params.json<unknown>("allowed_updates");
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || list.some((item) => typeof item !== "string")) throw badRequest("can't parse allowed_updates JSON array");
  // Kinds this emulator never produces are accepted (Telegram knows them) and simply never sent.
  return list.filter((item): item is UpdateKind => (UPDATE_KINDS as readonly string[]).includes(item));
}

function replyTarget(bot: EmulatedBot, chat: Chat, params: Params): Message | undefined {
  const parameters = params.json<{ message_id?: number; chat_id?: number | string; allow_sending_without_reply?: boolean }>("reply_parameters");
  const messageId = parameters?.message_id ?? params.int("reply_to_message_id");
  if (messageId === undefined) return undefined;
  const target = bot.findMessage(chat.id, messageId);
  if (!target && !(parameters?.allow_sending_without_reply || params.bool("allow_sending_without_reply"))) throw badRequest("message to be replied not found");
  return target;
}

async function getUpdates({ bot, params, signal, maxPollSeconds }: MethodContext): Promise<Update[]> {
  if (bot.webhook) throw WEBHOOK_ACTIVE();
  const offset = params.int("offset");
  const limit = Math.min(Math.max(params.int("limit") ?? 100, 1), 100);
  const timeout = Math.min(Math.max(params.int("timeout") ?? 0, 0), maxPollSeconds);
  const allowed = allowedUpdatesOf(params);
  if (allowed) bot.allowedUpdates = allowed;
  if (offset !== undefined && offset > 0) bot.confirmBelow(offset);
  const pick = () => {
    const pending = bot.pendingUpdates();
    // A negative offset counts from the end of the queue and forgets everything before it.
    if (offset !== undefined && offset < 0) {
      const kept = pending.slice(offset);
      if (kept[0]) bot.confirmBelow(kept[0].update_id);
      return kept.slice(0, limit);
    }
    return pending.slice(0, limit);
  };
  // Any getUpdates ends a long poll already waiting (409 to that one), as Telegram does.
  let end: (error: TelegramError) => void = () => undefined;
  const release = bot.startPoll((error) => end(error));
  const ready = pick();
  if (ready.length || timeout === 0) {
    release();
    return ready;
  }
  return new Promise<Update[]>((resolve, reject) => {
    const finish = () => {
      clearTimeout(timer);
      bot.events.off("update", onUpdate);
      signal.removeEventListener("abort", onAbort);
      release();
    };
    const onUpdate = () => {
      finish();
      resolve(pick());
    };
    const onAbort = () => {
      finish();
      resolve([]);
    };
    const timer = setTimeout(onUpdate, timeout * 1000);
    end = (error) => {
      finish();
      reject(error);
    };
    bot.events.on("update", onUpdate);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function setWebhook({ bot, params, deliver }: MethodContext): true {
  const url = params.string("url")?.trim() ?? "";
  const secretToken = params.string("secret_token");
  if (secretToken !== undefined && secretToken !== "" && !TELEGRAM_SECRET_SHAPE.test(secretToken))
    throw badRequest("secret token contains unallowed characters");
  const maxConnections = params.int("max_connections") ?? 40;
  if (maxConnections < 1 || maxConnections > 100) throw badRequest("bad webhook: max_connections must be between 1 and 100");
  const allowed = allowedUpdatesOf(params);
  if (allowed) bot.allowedUpdates = allowed;
  if (params.bool("drop_pending_updates")) bot.dropPending();
  if (!url) {
    bot.webhook = undefined;
    return true;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest("bad webhook: Failed to resolve host: Name or service not known");
  }
  // Telegram only calls HTTPS on ports 443, 80, 88 and 8443; the emulator also calls plain
  // HTTP, because a local Worker (wrangler dev) has no certificate. Noted in the README.
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw badRequest("bad webhook: An HTTPS URL must be provided for webhook");
  bot.webhook = { url, ...(secretToken ? { secretToken } : {}), maxConnections, ...(allowed ? { allowedUpdates: allowed } : {}) };
  deliver();
  return true;
}

function deleteWebhook({ bot, params }: MethodContext): true {
  if (params.bool("drop_pending_updates")) bot.dropPending();
  bot.webhook = undefined;
  return true;
}

function getWebhookInfo({ bot }: MethodContext): WebhookInfo {
  const pending = bot.pendingUpdates().length;
  const hook = bot.webhook;
  if (!hook) return { url: "", has_custom_certificate: false, pending_update_count: pending };
  return {
    url: hook.url,
    has_custom_certificate: false,
    pending_update_count: pending,
    ...(hook.lastErrorDate ? { last_error_date: hook.lastErrorDate, last_error_message: hook.lastErrorMessage ?? "" } : {}),
    max_connections: hook.maxConnections,
    ...(hook.allowedUpdates ? { allowed_updates: hook.allowedUpdates } : {}),
  };
}

function sendMessage({ bot, params }: MethodContext): Message {
  const chat = chatOf(bot, params);
  const content = textOf(params);
  const replyTo = replyTarget(bot, chat, params);
  const threadId = params.int("message_thread_id");
  const markup = params.json<unknown>("reply_markup");
  const message = bot.newMessage(chat, bot.user, {
    ...content,
    ...(replyTo ? { reply_to_message: replyTo } : {}),
    ...(threadId !== undefined ? { message_thread_id: threadId } : {}),
    ...(markup !== undefined ? { reply_markup: markup } : {}),
  });
  bot.record({ kind: "send", method: "sendMessage", message: structuredClone(message) });
  return message;
}

function editMessageText({ bot, params }: MethodContext): Message {
  if (params.has("inline_message_id")) throw badRequest("inline messages are not emulated");
  const chat = chatOf(bot, params);
  const messageId = params.int("message_id");
  if (messageId === undefined) throw badRequest("message identifier is not specified");
  const message = bot.findMessage(chat.id, messageId);
  if (!message) throw badRequest("message to edit not found");
  if (message.from?.id !== bot.user.id) throw badRequest("message can't be edited");
  const content = textOf(params);
  const markup = params.json<unknown>("reply_markup");
  const sameEntities = JSON.stringify(content.entities ?? []) === JSON.stringify(message.entities ?? []);
  if (content.text === message.text && sameEntities && JSON.stringify(markup) === JSON.stringify(message.reply_markup))
    throw badRequest(
      "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
    );
  message.text = content.text;
  if (content.entities) message.entities = content.entities;
  else delete message.entities;
  if (markup !== undefined) message.reply_markup = markup;
  message.edit_date = now();
  bot.record({ kind: "edit", method: "editMessageText", message: structuredClone(message) });
  return message;
}

function deleteMessage({ bot, params }: MethodContext): true {
  const chat = chatOf(bot, params);
  const messageId = params.int("message_id");
  if (messageId === undefined) throw badRequest("message identifier is not specified");
  const message = bot.findMessage(chat.id, messageId);
  if (!message || !bot.removeMessage(chat.id, messageId)) throw badRequest("message to delete not found");
  bot.record({ kind: "delete", method: "deleteMessage", message });
  return true;
}

function sendChatAction({ bot, params }: MethodContext): true {
  chatOf(bot, params);
  if (!CHAT_ACTIONS.includes(params.string("action") ?? "")) throw badRequest("wrong parameter action in request");
  return true;
}

function answerCallbackQuery({ bot, params }: MethodContext): true {
  const id = params.string("callback_query_id");
  if (!id || !bot.openCallbacks.delete(id)) throw badRequest("query is too old and response timeout expired or query ID is invalid");
  return true;
}

function setMessageReaction({ bot, params }: MethodContext): true {
  const chat = chatOf(bot, params);
  const messageId = params.int("message_id");
  if (messageId === undefined || !bot.findMessage(chat.id, messageId)) throw badRequest("message to react not found");
  return true;
}

function setMyCommands({ bot, params }: MethodContext): true {
  const commands = params.json<unknown[]>("commands");
  if (!Array.isArray(commands)) throw badRequest("can't parse commands JSON object");
  for (const command of commands) {
    const { command: name, description } = (command ?? {}) as { command?: unknown; description?: unknown };
    if (typeof name !== "string" || !/^[a-z0-9_]{1,32}$/.test(name)) throw badRequest("BOT_COMMAND_INVALID");
    if (typeof description !== "string" || description.length < 1 || description.length > 256) throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID");
  }
  bot.commands = commands;
  return true;
}

export const METHODS: Record<string, Method> = {
  getme: ({ bot }) => bot.user,
  logout: () => true,
  close: () => true,
  getupdates: getUpdates,
  setwebhook: setWebhook,
  deletewebhook: deleteWebhook,
  getwebhookinfo: getWebhookInfo,
  sendmessage: sendMessage,
  editmessagetext: editMessageText,
  deletemessage: deleteMessage,
  sendchataction: sendChatAction,
  answercallbackquery: answerCallbackQuery,
  setmessagereaction: setMessageReaction,
  setmycommands: setMyCommands,
  getmycommands: ({ bot }) => bot.commands,
  deletemycommands: ({ bot }) => {
    bot.commands = [];
    return true;
  },
  getchat: ({ bot, params }) => chatOf(bot, params),
};

export function isTelegramError(error: unknown): error is TelegramError {
  return error instanceof TelegramError;
}

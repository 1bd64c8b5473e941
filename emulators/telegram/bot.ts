/**
 * One bot's side of Telegram: the updates waiting for it, the chats it knows, the messages in
 * them, its webhook and commands. Methods (methods.ts) and the control API (what users do:
 * control.ts) change it; `events` says when something happened, so callers wait on it rather
 * than poll.
 */
import { EventEmitter } from "node:events";
import { TERMINATED_BY_OTHER, type TelegramError } from "./errors.ts";
import { UPDATE_KINDS, type BotUser, type Chat, type Message, type Update, type UpdateKind, type User } from "./types.ts";

export interface WebhookSettings {
  url: string;
  secretToken?: string;
  maxConnections: number;
  allowedUpdates?: UpdateKind[];
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

/** What the bot did in a chat, in order: each message it sent, and each edit (the message as it was then). */
export interface BotAction {
  kind: "send" | "edit" | "delete";
  method: string;
  message: Message;
}

/** One API call as received, for tests that assert what a client asked (the token is not kept). */
export interface ApiCall {
  method: string;
  at: number;
  /** The error description when the call failed. */
  error?: string;
  /** Set once the emulator has answered it (a long poll is recorded on arrival, answered later). */
  answered?: boolean;
}

export const now = () => Math.floor(Date.now() / 1000);

/** Updates are kept 24 hours when nobody fetches them, as Telegram keeps them. */
const UPDATE_TTL_S = 24 * 60 * 60;

export class EmulatedBot {
  readonly events = new EventEmitter();
  readonly chats = new Map<number, Chat>();
  readonly messages = new Map<number, Message[]>();
  readonly actions: BotAction[] = [];
  readonly calls: ApiCall[] = [];
  /** Calls to methods the emulator does not implement (answered 404 like an unknown method). */
  readonly unsupported: string[] = [];
  commands: unknown[] = [];
  /** Callback queries (button presses) the bot has not answered yet. */
  readonly openCallbacks = new Set<string>();
  webhook: WebhookSettings | undefined;
  /** The kinds the client asked for with getUpdates' or setWebhook's allowed_updates (remembered, as Telegram does). */
  allowedUpdates: UpdateKind[] | undefined;
  private pending: { update: Update; at: number }[] = [];
  private nextUpdateId = 1 + Math.floor(Math.random() * 100_000_000);
  private nextMessageId = new Map<number, number>();
  private poll: { end: (error: TelegramError) => void } | undefined;

  readonly user: BotUser;
  readonly token: string;

  constructor(user: BotUser, token: string) {
    this.user = user;
    this.token = token;
    this.events.setMaxListeners(0);
  }

  /** Updates not yet confirmed, oldest first (expired ones dropped). */
  pendingUpdates(): Update[] {
    const oldest = now() - UPDATE_TTL_S;
    this.pending = this.pending.filter((item) => item.at >= oldest);
    return this.pending.map((item) => item.update);
  }

  /** getUpdates' offset: every update below it is confirmed and forgotten. */
  confirmBelow(offset: number): void {
    this.pending = this.pending.filter((item) => item.update.update_id >= offset);
  }

  dropPending(): void {
    this.pending = [];
  }

  /** A new update for the bot, unless its kind is filtered out by allowed_updates. */
  enqueue(kind: UpdateKind, payload: Update[UpdateKind]): Update | undefined {
    const allowed = this.allowedUpdates?.length ? this.allowedUpdates : UPDATE_KINDS;
    if (!allowed.includes(kind)) return undefined;
    const update = { update_id: this.nextUpdateId++, [kind]: payload } as Update;
    this.pending.push({ update, at: now() });
    this.events.emit("update", update);
    return update;
  }

  /** A long poll in progress is answered 409 when another starts, as Telegram does. */
  startPoll(end: (error: TelegramError) => void): () => void {
    this.poll?.end(TERMINATED_BY_OTHER());
    const poll = { end };
    this.poll = poll;
    return () => {
      if (this.poll === poll) this.poll = undefined;
    };
  }

  knowChat(chat: Chat): void {
    this.chats.set(chat.id, { ...this.chats.get(chat.id), ...chat });
  }

  newMessage(chat: Chat, from: User | undefined, fields: Omit<Message, "message_id" | "chat" | "date" | "from">): Message {
    const messageId = (this.nextMessageId.get(chat.id) ?? 0) + 1;
    this.nextMessageId.set(chat.id, messageId);
    const message: Message = { message_id: messageId, ...(from ? { from } : {}), chat, date: now(), ...fields };
    const list = this.messages.get(chat.id) ?? [];
    list.push(message);
    this.messages.set(chat.id, list);
    return message;
  }

  findMessage(chatId: number, messageId: number): Message | undefined {
    return this.messages.get(chatId)?.find((message) => message.message_id === messageId);
  }

  removeMessage(chatId: number, messageId: number): boolean {
    const list = this.messages.get(chatId);
    const index = list?.findIndex((message) => message.message_id === messageId) ?? -1;
    if (index < 0) return false;
    list!.splice(index, 1);
    return true;
  }

  record(action: BotAction): void {
    this.actions.push(action);
    this.events.emit("action", action);
  }
}

export function botUser(id: number, username: string, firstName: string): BotUser {
  return {
    id,
    is_bot: true,
    first_name: firstName,
    username,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  };
}

/**
 * One bot's side of Discord: its user and application, its token, what it did (actions) and asked
 * (calls), and its application commands. `events` says when something happened, so callers wait
 * on it rather than poll.
 */
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { DISCORD_INTENTS } from "../../contract/discord.ts";
import type { Application, ApplicationCommand, BotUser, Message } from "./types.ts";

/** What the bot did, in order: each message it sent, edited or deleted (as it was then), each typing indicator and reaction. */
export interface BotAction {
  kind: "send" | "edit" | "delete" | "typing" | "react" | "unreact";
  /** The REST route, ids replaced: `POST /channels/:id/messages`. */
  route: string;
  channelId: string;
  message?: Message;
  messageId?: string;
  emoji?: string;
}

/** One REST call as received, for tests that assert what a client asked (the token is not kept). */
export interface ApiCall {
  method: string;
  /** The path below /api/v10 with snowflakes replaced by `:id`, e.g. `/channels/:id/messages`. */
  route: string;
  at: number;
  status?: number;
  /** Discord's error message when the call failed. */
  error?: string;
}

/** Application flags saying which privileged intents a bot may ask for (the "limited" ones: under 100 servers). */
export const APPLICATION_FLAGS = { GatewayPresenceLimited: 1 << 13, GatewayGuildMembersLimited: 1 << 15, GatewayMessageContentLimited: 1 << 19 } as const;

/** The privileged intents and the switch in the Developer Portal each needs. */
export const PRIVILEGED_INTENTS = {
  presence: DISCORD_INTENTS.GuildPresences,
  guildMembers: DISCORD_INTENTS.GuildMembers,
  messageContent: DISCORD_INTENTS.MessageContent,
} as const;
export type PrivilegedIntent = keyof typeof PRIVILEGED_INTENTS;

export class EmulatedBot {
  readonly events = new EventEmitter();
  readonly actions: BotAction[] = [];
  readonly calls: ApiCall[] = [];
  /** Routes the emulator does not implement (answered 404 "404: Not Found", like an unknown route). */
  readonly unsupported: string[] = [];
  readonly commands = new Map<string, ApplicationCommand>();
  readonly user: BotUser;
  readonly application: Application;
  readonly token: string;
  /** The privileged intents switched on for this application (Discord closes 4014 on others). */
  readonly privilegedIntents: ReadonlySet<PrivilegedIntent>;

  constructor(user: BotUser, token: string, owner: BotUser["id"], privilegedIntents: readonly PrivilegedIntent[]) {
    this.user = user;
    this.token = token;
    this.privilegedIntents = new Set(privilegedIntents);
    this.events.setMaxListeners(0);
    const flags =
      (this.privilegedIntents.has("presence") ? APPLICATION_FLAGS.GatewayPresenceLimited : 0) |
      (this.privilegedIntents.has("guildMembers") ? APPLICATION_FLAGS.GatewayGuildMembersLimited : 0) |
      (this.privilegedIntents.has("messageContent") ? APPLICATION_FLAGS.GatewayMessageContentLimited : 0);
    this.application = {
      // A bot's application id is its user id (the application was created with it).
      id: user.id,
      name: user.username,
      icon: null,
      description: "",
      bot_public: true,
      bot_require_code_grant: false,
      verify_key: randomBytes(32).toString("hex"),
      flags,
      owner: { id: owner, username: "moltlab_owner", discriminator: "0", global_name: "moltlab owner", avatar: null },
      team: null,
      bot: user,
      summary: "",
    };
  }

  /** The intents this bot may not ask for (privileged ones not switched on). */
  disallowedIntents(intents: number): number {
    let disallowed = 0;
    for (const [name, bit] of Object.entries(PRIVILEGED_INTENTS)) if (intents & bit && !this.privilegedIntents.has(name as PrivilegedIntent)) disallowed |= bit;
    return disallowed;
  }

  record(action: BotAction): void {
    this.actions.push(action);
    this.events.emit("action", action);
  }

  recordCall(call: ApiCall): void {
    this.calls.push(call);
    this.events.emit("call", call);
  }
}

export function botUser(id: string, username: string, globalName?: string): BotUser {
  return {
    id,
    username,
    discriminator: "0",
    global_name: globalName ?? null,
    avatar: null,
    bot: true,
    verified: true,
    mfa_enabled: false,
    flags: 0,
    public_flags: 0,
  };
}

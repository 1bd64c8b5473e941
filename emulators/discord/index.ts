/**
 * Discord on 127.0.0.1, for OpenClaw's Discord channel (its DISCORD_API_URL, e.g.
 * `http://127.0.0.1:PORT/api/v10`): REST v10 and the Gateway WebSocket on one origin, bots with
 * tokens checked as Discord checks them, one guild with text channels, DMs, the messages a bot
 * sends, edits and deletes, and the people writing to it.
 */
import { waitForEvent } from "../../core/wait-for-event.ts";
import { DISCORD_API_VERSION } from "../../contract/discord.ts";
import { type ServeOptions, type StartedServer, serveFetch } from "../../core/serve.ts";
import { CONTROL_PATH, createDiscordApp } from "./app.ts";
import { type ApiCall, type BotAction, botUser, EmulatedBot, type PrivilegedIntent } from "./bot.ts";
import { Gateway, type SessionInfo } from "./gateway.ts";
import { snowflake } from "./snowflake.ts";
import { botIdOf, generateToken } from "./tokens.ts";
import type { Channel, Message } from "./types.ts";
import { type UserMessageInput, userSends } from "./users.ts";
import { DiscordWorld, type WorldOptions } from "./world.ts";

export { CONTROL_PATH } from "./app.ts";
export type { ApiCall, BotAction, EmulatedBot, PrivilegedIntent } from "./bot.ts";
export { CLOSE, OPCODE, type SessionInfo } from "./gateway.ts";
export { isWellFormedToken } from "./tokens.ts";
export { DISCORD_EPOCH_MS, snowflake, timestampOf } from "./snowflake.ts";
export type { Channel, Message, User } from "./types.ts";
export type { UserMessageInput } from "./users.ts";
export type { PersonInput } from "./world.ts";

export interface BotInput {
  username: string;
  globalName?: string;
  /** Default: generated in Discord's shape for the bot's id (a new snowflake unless the token names one). */
  token?: string;
  /**
   * The privileged intents switched on in the "Developer Portal" (default: all three, as OpenClaw's
   * setup asks). IDENTIFY asking for one that is off is closed 4014 "Disallowed intent(s)."
   */
  privilegedIntents?: PrivilegedIntent[];
}

export interface DiscordOptions extends ServeOptions, WorldOptions {
  /** Default: one bot, moltlab_test_bot. */
  bots?: BotInput[];
  /** HELLO's heartbeat_interval (Discord's: 41250 ms). */
  heartbeatIntervalMs?: number;
  /** How long a disconnected Gateway session can be resumed (default 5 minutes). */
  sessionTtlMs?: number;
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Default: the first bot. */
  bot?: EmulatedBot;
}

export interface StartedDiscord extends StartedServer {
  /** What OpenClaw's DISCORD_API_URL takes: `<origin>/api/v10`. */
  readonly apiUrl: string;
  /** The Gateway (what GET /gateway/bot answers): `ws://<same origin>`. */
  readonly gatewayUrl: string;
  readonly controlUrl: string;
  readonly bots: readonly EmulatedBot[];
  /** The first bot, and its token. */
  readonly bot: EmulatedBot;
  readonly token: string;
  readonly guildId: string;
  /** The guild's text channels by name (`channels.general`). */
  readonly channels: Readonly<Record<string, string>>;
  addBot(input: BotInput): EmulatedBot;
  /** Resets the bot's token, as the Developer Portal does: REST answers 401 and the Gateway 4004 from now on; live sessions are closed 4004. */
  revoke(bot?: EmulatedBot): void;
  /** A person writes in a guild channel (default #general), or to the bot directly with `dm: true`. */
  userSends(input: UserMessageInput, bot?: EmulatedBot): { message: Message; channel: Channel };
  /** What the bot has sent, edited, deleted, typed and reacted, in order (in one channel when given). */
  actions(channelId?: string, bot?: EmulatedBot): BotAction[];
  /** Resolves with the first action (already done or to come) that `matches`; rejects after `timeoutMs` naming what it saw. */
  waitForAction(matches: (action: BotAction) => boolean, options?: WaitOptions): Promise<BotAction>;
  /** Resolves with the first REST call (already made or to come) of `method` and `route` (e.g. "GET", "/users/@me"). */
  waitForCall(method: string, route: string, options?: WaitOptions): Promise<ApiCall>;
  /** The bot's Gateway sessions (live or resumable). */
  sessions(bot?: EmulatedBot): SessionInfo[];
  /** Resolves once the bot has a connected, identified session (after READY or RESUMED was sent). */
  waitForSession(options?: WaitOptions & { resumed?: boolean }): Promise<SessionInfo>;
  /** Cuts the bot's Gateway sockets like a network drop (no close frame): clients RESUME. Returns how many. */
  dropConnection(bot?: EmulatedBot): number;
  /** Closes the bot's Gateway sockets with a close code (e.g. 4000 resumable, 4009 session ended). Returns how many. */
  closeConnection(code: number, reason?: string, bot?: EmulatedBot): number;
  /** Sends op 7 Reconnect to the bot's live sockets. */
  requestReconnect(bot?: EmulatedBot): number;
}

const DEFAULT_BOT: BotInput = { username: "moltlab_test_bot", globalName: "moltlab test bot" };
const ALL_PRIVILEGED: PrivilegedIntent[] = ["presence", "guildMembers", "messageContent"];

export async function startDiscord(options: DiscordOptions = {}): Promise<StartedDiscord> {
  const world = new DiscordWorld(options);
  const byToken = new Map<string, EmulatedBot>();
  const byId = new Map<string, EmulatedBot>();
  const addBot = (input: BotInput) => {
    if (input.token !== undefined && !botIdOf(input.token))
      throw new Error(
        `"${input.token.slice(0, 8)}…" is not a bot token: Discord's are <base64 of the bot's id>.<6 characters>.<27 or more>; leave token out to have one generated`,
      );
    const id = input.token ? botIdOf(input.token)! : snowflake();
    if (byId.has(id)) throw new Error(`a bot with id ${id} exists already in this emulator`);
    const token = input.token ?? generateToken(id);
    const bot = new EmulatedBot(botUser(id, input.username, input.globalName), token, world.guild.owner_id, input.privilegedIntents ?? ALL_PRIVILEGED);
    byToken.set(token, bot);
    byId.set(id, bot);
    world.addBot(bot.user);
    return bot;
  };
  const bots = (options.bots?.length ? options.bots : [DEFAULT_BOT]).map(addBot);
  let origin = "";
  const gatewayUrl = () => origin.replace(/^http/, "ws");
  const gateway = new Gateway({
    world,
    byToken: (token) => byToken.get(token),
    resumeUrl: gatewayUrl,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    sessionTtlMs: options.sessionTtlMs ?? 5 * 60_000,
  });
  const revoke = (bot: EmulatedBot) => {
    byToken.delete(bot.token);
    gateway.revoke(bot);
  };
  const app = createDiscordApp({
    world,
    gateway,
    byToken: (token) => byToken.get(token),
    byId: (id) => byId.get(id),
    revoke,
    gatewayUrl,
    origin: () => origin,
  });
  const server = await serveFetch((request) => app.fetch(request), {
    ...options,
    onUpgrade: (request, socket, head) => gateway.handleUpgrade(request, socket, head),
  });
  origin = server.url;
  const first = bots[0]!;

  function waitFor<T>(
    bot: EmulatedBot,
    event: string,
    existing: () => T | undefined,
    matches: (value: T) => boolean,
    timeoutMs: number,
    what: () => string,
  ): Promise<T> {
    return waitForEvent(bot.events, event, { existing, matches, timeoutMs, timedOut: () => `Discord emulator: ${what()} within ${timeoutMs} ms` });
  }
  const callsMade = (bot: EmulatedBot) => [...new Set(bot.calls.map((call) => `${call.method} ${call.route}`))].join(", ") || "none";

  return {
    ...server,
    apiUrl: `${server.url}/api/v${DISCORD_API_VERSION}`,
    gatewayUrl: gatewayUrl(),
    controlUrl: `${server.url}${CONTROL_PATH}`,
    bots,
    bot: first,
    token: first.token,
    guildId: world.guild.id,
    channels: Object.fromEntries(world.textChannels().map((channel) => [channel.name!, channel.id])),
    addBot: (input) => {
      const bot = addBot(input);
      (bots as EmulatedBot[]).push(bot);
      return bot;
    },
    revoke: (bot = first) => revoke(bot),
    userSends: (input, bot = first) => userSends(world, bot, input),
    actions: (channelId, bot = first) => (channelId === undefined ? [...bot.actions] : bot.actions.filter((action) => action.channelId === channelId)),
    waitForAction: (matches, { timeoutMs = 30_000, bot = first } = {}) =>
      waitFor<BotAction>(
        bot,
        "action",
        () => bot.actions.find(matches),
        matches,
        timeoutMs,
        () =>
          `no matching bot action (it did: ${bot.actions.map((action) => `${action.kind} ${action.message ? `"${action.message.content.slice(0, 40)}"` : (action.emoji ?? "")}`).join(", ") || "nothing"}; calls: ${callsMade(bot)})`,
      ),
    waitForCall: (method, route, { timeoutMs = 30_000, bot = first } = {}) => {
      const test = (call: ApiCall) => call.method === method.toUpperCase() && call.route === route;
      return waitFor<ApiCall>(
        bot,
        "call",
        () => bot.calls.find(test),
        test,
        timeoutMs,
        () => `no ${method} ${route} call (calls: ${callsMade(bot)})`,
      );
    },
    sessions: (bot = first) => gateway.sessionsOf(bot).map((session) => session.info()),
    waitForSession: ({ timeoutMs = 30_000, bot = first, resumed = false } = {}) => {
      const ready = () =>
        gateway
          .sessionsOf(bot)
          .find((session) => session.connection && !session.invalidated && (!resumed || session.resumes > 0))
          ?.info();
      return new Promise<SessionInfo>((resolve, reject) => {
        const check = () => {
          const found = ready();
          if (!found) return;
          clearTimeout(timer);
          gateway.events.off("session", check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          gateway.events.off("session", check);
          reject(new Error(`Discord emulator: no ${resumed ? "resumed" : "identified"} Gateway session within ${timeoutMs} ms`));
        }, timeoutMs);
        gateway.events.on("session", check);
        check();
      });
    },
    dropConnection: (bot = first) => gateway.drop(bot),
    closeConnection: (code, reason, bot = first) => gateway.close(code, reason, bot),
    requestReconnect: (bot = first) => gateway.requestReconnect(bot),
    stop: async () => {
      gateway.stop();
      await server.stop();
    },
  };
}

/**
 * The Gateway: Discord's WebSocket, on the same origin as REST (OpenClaw accepts no other). A
 * connection gets HELLO, must IDENTIFY (or RESUME) before anything but heartbeats, and then
 * receives dispatches numbered by `s`. A session outlives its socket: dispatches that happen while
 * it is disconnected are kept and replayed, once, to the RESUME that names the last `s` it saw.
 * Close codes and their messages are Discord's (opcodes-and-status-codes#gateway-close-event-codes).
 */
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { DISCORD_INTENTS } from "../../contract/discord.ts";
import type { EmulatedBot } from "./bot.ts";
import { tokenFromIdentify } from "./tokens.ts";
import type { Channel, GatewayPayload } from "./types.ts";
import type { DiscordWorld, WorldEvent } from "./world.ts";

export const OPCODE = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
  RequestSoundboardSounds: 31,
} as const;

/** Discord's close codes and the reason text it sends with each. */
export const CLOSE = {
  UnknownError: [4000, "Unknown error."],
  UnknownOpcode: [4001, "Unknown opcode."],
  DecodeError: [4002, "Error while decoding payload."],
  NotAuthenticated: [4003, "Not authenticated."],
  AuthenticationFailed: [4004, "Authentication failed."],
  AlreadyAuthenticated: [4005, "Already authenticated."],
  InvalidSeq: [4007, "Invalid seq."],
  SessionTimedOut: [4009, "Session timed out."],
  InvalidShard: [4010, "Invalid shard."],
  InvalidApiVersion: [4012, "Invalid API version."],
  InvalidIntents: [4013, "Invalid intent(s)."],
  DisallowedIntents: [4014, "Disallowed intent(s)."],
} as const satisfies Record<string, readonly [number, string]>;

/** After these a session cannot be resumed (Discord: "reconnect and start a new session", or do not reconnect). */
const ENDS_SESSION = new Set([4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014]);
const VALID_INTENTS = Object.values(DISCORD_INTENTS).reduce((all, bit) => all | bit, 0);
/** The API versions whose Gateway is still served (v9 and v10 share this protocol). */
const GATEWAY_VERSIONS = new Set(["9", "10"]);
/** Dispatches kept per session for RESUME; a RESUME from further back gets 4007. */
const REPLAY_LIMIT = 1000;

export interface GatewayOptions {
  world: DiscordWorld;
  byToken(token: string): EmulatedBot | undefined;
  /** Where READY tells clients to resume (the same origin). */
  resumeUrl(): string;
  /** HELLO's heartbeat_interval (Discord: 41250 ms). A connection with no heartbeat for 1.5 intervals is cut. */
  heartbeatIntervalMs: number;
  /** How long a disconnected session stays resumable. */
  sessionTtlMs: number;
}

/** A session as the control API shows it. */
export interface SessionInfo {
  sessionId: string;
  botId: string;
  intents: number;
  shard: [number, number];
  seq: number;
  connected: boolean;
  resumes: number;
}

export class GatewaySession {
  readonly id = randomBytes(16).toString("hex");
  readonly bot: EmulatedBot;
  readonly intents: number;
  readonly shard: [number, number];
  seq = 0;
  resumes = 0;
  invalidated = false;
  connection: GatewayConnection | undefined;
  expiry: NodeJS.Timeout | undefined;
  private readonly sent: GatewayPayload[] = [];

  constructor(bot: EmulatedBot, intents: number, shard: [number, number]) {
    this.bot = bot;
    this.intents = intents;
    this.shard = shard;
  }

  dispatch(t: string, d: unknown): void {
    const payload: GatewayPayload = { op: OPCODE.Dispatch, t, s: ++this.seq, d };
    this.sent.push(payload);
    if (this.sent.length > REPLAY_LIMIT) this.sent.shift();
    this.connection?.send(payload);
  }

  /** The dispatches after `seq`, or undefined when they are no longer all kept (or `seq` is from the future). */
  since(seq: number): GatewayPayload[] | undefined {
    if (!Number.isInteger(seq) || seq > this.seq || seq < 0) return undefined;
    const first = this.sent[0]?.s ?? this.seq + 1;
    if (seq + 1 < first && seq < this.seq) return undefined;
    return this.sent.filter((payload) => (payload.s ?? 0) > seq);
  }

  /** Guild events go to the shard `(guild_id >> 22) % shard_count`; DMs to shard 0, as Discord routes them. */
  receives(channel: Channel): boolean {
    return this.receivesGuild(channel.guild_id);
  }

  receivesGuild(guildId: string | undefined): boolean {
    const [id, count] = this.shard;
    if (!guildId) return id === 0;
    return Number((BigInt(guildId) >> 22n) % BigInt(count)) === id;
  }

  info(): SessionInfo {
    return {
      sessionId: this.id,
      botId: this.bot.user.id,
      intents: this.intents,
      shard: this.shard,
      seq: this.seq,
      connected: this.connection !== undefined,
      resumes: this.resumes,
    };
  }
}

/** One WebSocket: before IDENTIFY/RESUME it has no session. */
class GatewayConnection {
  readonly ws: WebSocket;
  session: GatewaySession | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private readonly gateway: Gateway;

  constructor(ws: WebSocket, gateway: Gateway) {
    this.ws = ws;
    this.gateway = gateway;
  }

  send(payload: GatewayPayload): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(payload));
  }

  close([code, reason]: readonly [number, string]): void {
    this.stopDeadline();
    if (ENDS_SESSION.has(code) && this.session) this.session.invalidated = true;
    this.ws.close(code, reason);
  }

  /** No close frame: to the client it looks like a dead network (close 1006), and it may resume. */
  cut(): void {
    this.stopDeadline();
    this.ws.terminate();
  }

  /** Expects a heartbeat within 1.5 intervals (Discord's clients jitter the first one across a whole interval). */
  awaitHeartbeat(intervalMs: number): void {
    this.stopDeadline();
    this.deadline = setTimeout(() => this.cut(), intervalMs * 1.5);
    this.deadline.unref();
  }

  stopDeadline(): void {
    clearTimeout(this.deadline);
  }

  receive(raw: RawData): void {
    let payload: { op?: unknown; d?: unknown };
    try {
      payload = JSON.parse(raw.toString()) as { op?: unknown; d?: unknown };
    } catch {
      this.close(CLOSE.DecodeError);
      return;
    }
    if (typeof payload !== "object" || payload === null || typeof payload.op !== "number") {
      this.close(CLOSE.DecodeError);
      return;
    }
    switch (payload.op) {
      case OPCODE.Heartbeat:
        this.send({ op: OPCODE.HeartbeatAck, d: null, s: null, t: null });
        this.awaitHeartbeat(this.gateway.options.heartbeatIntervalMs);
        return;
      case OPCODE.Identify:
        this.gateway.identify(this, payload.d);
        return;
      case OPCODE.Resume:
        this.gateway.resume(this, payload.d);
        return;
      case OPCODE.PresenceUpdate:
      case OPCODE.VoiceStateUpdate:
      case OPCODE.RequestGuildMembers:
      case OPCODE.RequestSoundboardSounds:
        // Accepted and not acted on (no presences, voice or member chunks here), once authenticated.
        if (!this.session) this.close(CLOSE.NotAuthenticated);
        return;
      default:
        this.close(CLOSE.UnknownOpcode);
        return;
    }
  }
}

export class Gateway {
  readonly options: GatewayOptions;
  /** `session` whenever a session becomes live (READY or RESUMED sent), so callers wait on it. */
  readonly events = new EventEmitter();
  private readonly sessions = new Map<string, GatewaySession>();
  private readonly connections = new Set<GatewayConnection>();
  private readonly wss = new WebSocketServer({ noServer: true });

  constructor(options: GatewayOptions) {
    this.options = options;
    options.world.events.on("dispatch", (event: WorldEvent) => this.fanOut(event));
  }

  /** core/serve.ts's upgrade hook: the Gateway answers at the origin's root, as gateway.discord.gg does. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? "/", "ws://gateway");
    if (url.pathname !== "/") {
      socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, url.searchParams));
  }

  private accept(ws: WebSocket, params: URLSearchParams): void {
    const connection = new GatewayConnection(ws, this);
    this.connections.add(connection);
    ws.on("message", (raw) => connection.receive(raw));
    ws.on("close", (code) => this.detach(connection, code));
    ws.on("error", () => connection.cut());
    const version = params.get("v");
    if (version !== null && !GATEWAY_VERSIONS.has(version)) {
      connection.close(CLOSE.InvalidApiVersion);
      return;
    }
    // Only JSON is spoken; `compress` is ignored (frames stay uncompressed text, which clients parse as such).
    if ((params.get("encoding") ?? "json") !== "json") {
      connection.close(CLOSE.DecodeError);
      return;
    }
    connection.send({ op: OPCODE.Hello, d: { heartbeat_interval: this.options.heartbeatIntervalMs }, s: null, t: null });
    connection.awaitHeartbeat(this.options.heartbeatIntervalMs);
  }

  private detach(connection: GatewayConnection, code: number): void {
    connection.stopDeadline();
    this.connections.delete(connection);
    const session = connection.session;
    if (!session || session.connection !== connection) return;
    session.connection = undefined;
    // A client closing with 1000 or 1001 ends its session (Discord shows the bot offline); any other close keeps it resumable.
    if (code === 1000 || code === 1001) session.invalidated = true;
    if (session.invalidated) {
      this.sessions.delete(session.id);
      return;
    }
    session.expiry = setTimeout(() => {
      session.invalidated = true;
      this.sessions.delete(session.id);
    }, this.options.sessionTtlMs);
    session.expiry.unref();
  }

  identify(connection: GatewayConnection, data: unknown): void {
    if (connection.session) {
      connection.close(CLOSE.AlreadyAuthenticated);
      return;
    }
    const d = (data ?? {}) as { token?: unknown; intents?: unknown; shard?: unknown };
    const bot = typeof d.token === "string" ? this.options.byToken(tokenFromIdentify(d.token)) : undefined;
    if (!bot) {
      connection.close(CLOSE.AuthenticationFailed);
      return;
    }
    const intents = d.intents;
    if (typeof intents !== "number" || !Number.isInteger(intents) || intents < 0 || (intents & ~VALID_INTENTS) !== 0) {
      connection.close(CLOSE.InvalidIntents);
      return;
    }
    if (bot.disallowedIntents(intents)) {
      connection.close(CLOSE.DisallowedIntents);
      return;
    }
    const shard = d.shard ?? [0, 1];
    if (!isShard(shard)) {
      connection.close(CLOSE.InvalidShard);
      return;
    }
    const session = new GatewaySession(bot, intents, shard);
    this.sessions.set(session.id, session);
    connection.session = session;
    session.connection = connection;
    const { world } = this.options;
    session.dispatch("READY", {
      v: 10,
      user_settings: {},
      user: bot.user,
      guilds: session.receivesGuild(world.guild.id) ? [{ id: world.guild.id, unavailable: true }] : [],
      session_id: session.id,
      session_type: "normal",
      resume_gateway_url: this.options.resumeUrl(),
      shard,
      application: { id: bot.application.id, flags: bot.application.flags },
      private_channels: [],
      presences: [],
      relationships: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
      auth: {},
    });
    // Guilds arrive unavailable in READY and then one GUILD_CREATE each (with the GUILDS intent).
    if (intents & DISCORD_INTENTS.Guilds && session.receivesGuild(world.guild.id)) session.dispatch("GUILD_CREATE", world.guildCreatePayload());
    this.events.emit("session", session);
  }

  resume(connection: GatewayConnection, data: unknown): void {
    if (connection.session) {
      connection.close(CLOSE.AlreadyAuthenticated);
      return;
    }
    const d = (data ?? {}) as { token?: unknown; session_id?: unknown; seq?: unknown };
    const bot = typeof d.token === "string" ? this.options.byToken(tokenFromIdentify(d.token)) : undefined;
    if (!bot) {
      connection.close(CLOSE.AuthenticationFailed);
      return;
    }
    const session = typeof d.session_id === "string" ? this.sessions.get(d.session_id) : undefined;
    if (!session || session.bot !== bot || session.invalidated) {
      // Not resumable: the client must IDENTIFY anew (d: false).
      connection.send({ op: OPCODE.InvalidSession, d: false, s: null, t: null });
      return;
    }
    const missed = session.since(typeof d.seq === "number" ? d.seq : Number.NaN);
    if (!missed) {
      connection.close(CLOSE.InvalidSeq);
      return;
    }
    clearTimeout(session.expiry);
    // Resuming from a new socket while the old one lingers: the old one is dropped.
    const previous = session.connection;
    if (previous && previous !== connection) {
      previous.session = undefined;
      previous.cut();
    }
    connection.session = session;
    session.connection = connection;
    session.resumes++;
    for (const payload of missed) connection.send(payload);
    session.dispatch("RESUMED", {});
    this.events.emit("session", session);
  }

  private fanOut(event: WorldEvent): void {
    const { world } = this.options;
    for (const session of this.sessions.values()) {
      if (session.invalidated || !world.canSee(session.bot.user.id, event.channel) || !session.receives(event.channel)) continue;
      if (!(session.intents & requiredIntent(event))) continue;
      session.dispatch(event.t, visibleTo(session, event));
    }
  }

  sessionsOf(bot?: EmulatedBot): GatewaySession[] {
    return [...this.sessions.values()].filter((session) => !bot || session.bot === bot);
  }

  /** Cuts the bot's live sockets without a close frame (a network drop): the client should RESUME. Returns how many. */
  drop(bot?: EmulatedBot): number {
    const live = this.sessionsOf(bot).filter((session) => session.connection);
    for (const session of live) session.connection!.cut();
    return live.length;
  }

  /** Closes the bot's live sockets with `code` (and Discord's reason for it when it has one). Returns how many. */
  close(code: number, reason?: string, bot?: EmulatedBot): number {
    const known = Object.values(CLOSE).find(([known]) => known === code);
    const live = this.sessionsOf(bot).filter((session) => session.connection);
    for (const session of live) session.connection!.close([code, reason ?? known?.[1] ?? ""]);
    return live.length;
  }

  /** Sends op 7 Reconnect to the bot's live sockets: Discord's "reconnect and resume". */
  requestReconnect(bot?: EmulatedBot): number {
    const live = this.sessionsOf(bot).filter((session) => session.connection);
    for (const session of live) session.connection!.send({ op: OPCODE.Reconnect, d: null, s: null, t: null });
    return live.length;
  }

  /** A revoked token ends its sessions: live ones are closed 4004, resumes are refused. */
  revoke(bot: EmulatedBot): void {
    for (const session of this.sessionsOf(bot)) {
      session.invalidated = true;
      session.connection?.close(CLOSE.AuthenticationFailed);
      this.sessions.delete(session.id);
    }
  }

  stop(): void {
    for (const connection of this.connections) connection.cut();
    for (const session of this.sessions.values()) clearTimeout(session.expiry);
    this.wss.close();
  }
}

function isShard(value: unknown): value is [number, number] {
  if (!Array.isArray(value) || value.length !== 2) return false;
  const [id, count] = value as unknown[];
  return Number.isInteger(id) && Number.isInteger(count) && (count as number) >= 1 && (id as number) >= 0 && (id as number) < (count as number);
}

/** The intent a session needs to receive an event: guild events and DM events have separate ones. */
function requiredIntent(event: WorldEvent): number {
  const reaction = event.t.startsWith("MESSAGE_REACTION");
  if (event.channel.guild_id) return reaction ? DISCORD_INTENTS.GuildMessageReactions : DISCORD_INTENTS.GuildMessages;
  return reaction ? DISCORD_INTENTS.DirectMessageReactions : DISCORD_INTENTS.DirectMessages;
}

/**
 * Without MESSAGE_CONTENT a bot gets a guild message's content, embeds, attachments, components and
 * poll empty, unless it wrote the message or is mentioned in it; DMs always carry them (Discord's rule).
 */
function visibleTo(session: GatewaySession, event: WorldEvent): Record<string, unknown> {
  const { message, channel, d } = event;
  if (!message || session.intents & DISCORD_INTENTS.MessageContent || !channel.guild_id) return d;
  const botId = session.bot.user.id;
  if (message.author.id === botId || message.mentions.some((user) => user.id === botId)) return d;
  const { poll: _, ...rest } = d;
  return { ...rest, content: "", embeds: [], attachments: [], components: [] };
}

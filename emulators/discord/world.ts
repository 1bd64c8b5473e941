/**
 * The Discord the bots live in: one guild (server) with its text channels, the people and bots in
 * it, direct-message channels, and the messages in all of them. REST handlers and the control API
 * change it; each change that Discord would push over the Gateway is emitted as a `dispatch`
 * event, which gateway.ts fans out to the sessions allowed to see it.
 */
import { EventEmitter } from "node:events";
import { snowflake } from "./snowflake.ts";
import { CHANNEL_TYPE, MESSAGE_TYPE, type Channel, type Guild, type GuildMember, type Message, type Role, type User } from "./types.ts";

/** An event Discord would dispatch; gateway.ts decides who receives it and with what content. */
export interface WorldEvent {
  t: "MESSAGE_CREATE" | "MESSAGE_UPDATE" | "MESSAGE_DELETE" | "MESSAGE_REACTION_ADD" | "MESSAGE_REACTION_REMOVE";
  channel: Channel;
  d: Record<string, unknown>;
  /** For creates and updates: whose content may be hidden from a session without MESSAGE_CONTENT. */
  message?: Message;
}

/** A person, by id or by username (the same username is the same person within one emulator). */
export interface PersonInput {
  id?: string;
  username: string;
  globalName?: string;
}

export interface WorldOptions {
  /** Default "moltlab". */
  guildName?: string;
  /** Text channels, in order; default ["general"]. */
  channelNames?: string[];
}

/** Every permission (as Discord's decimal string): the emulator does not check permissions. */
const ALL_PERMISSIONS = ((1n << 51n) - 1n).toString();

const now = () => new Date().toISOString();

export class DiscordWorld {
  readonly events = new EventEmitter();
  readonly guild: Guild;
  readonly users = new Map<string, User>();
  readonly members = new Map<string, GuildMember & { user: User }>();
  readonly channels = new Map<string, Channel>();
  /** DM channel id → the bot and the person it joins. */
  private readonly dms = new Map<string, { botId: string; person: User }>();
  private readonly messages = new Map<string, Message[]>();
  private readonly bots = new Set<string>();
  private readonly owner: User;

  constructor(options: WorldOptions = {}) {
    this.events.setMaxListeners(0);
    this.owner = this.person({ username: "moltlab_owner", globalName: "moltlab owner" });
    const guildId = snowflake();
    const everyone: Role = {
      id: guildId,
      name: "@everyone",
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position: 0,
      permissions: ALL_PERMISSIONS,
      managed: false,
      mentionable: false,
      flags: 0,
    };
    const channelIds = (options.channelNames?.length ? options.channelNames : ["general"]).map((name, position) => {
      const channel: Channel = {
        id: snowflake(),
        type: CHANNEL_TYPE.GuildText,
        guild_id: guildId,
        name,
        topic: null,
        position,
        nsfw: false,
        parent_id: null,
        permission_overwrites: [],
        rate_limit_per_user: 0,
        last_message_id: null,
        flags: 0,
      };
      this.channels.set(channel.id, channel);
      return channel.id;
    });
    this.guild = {
      id: guildId,
      name: options.guildName ?? "moltlab",
      icon: null,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      owner_id: this.owner.id,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      premium_tier: 0,
      premium_subscription_count: 0,
      premium_progress_bar_enabled: false,
      preferred_locale: "en-US",
      system_channel_id: channelIds[0] ?? null,
      system_channel_flags: 0,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      application_id: null,
      vanity_url_code: null,
      max_members: 500_000,
      max_video_channel_users: 25,
      roles: [everyone],
      emojis: [],
      stickers: [],
      features: [],
    };
    this.join(this.owner);
  }

  /** The guild's text channels, in order. */
  textChannels(): Channel[] {
    return [...this.channels.values()].filter((channel) => channel.guild_id === this.guild.id).sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  }

  addBot(user: User): void {
    this.bots.add(user.id);
    this.users.set(user.id, user);
    this.join(user);
  }

  /** The person with this id or username, created (and made a member of the guild) on first sight. */
  person(input: PersonInput): User {
    const known = input.id ? this.users.get(input.id) : [...this.users.values()].find((user) => !user.bot && user.username === input.username);
    if (known) return known;
    const user: User = {
      id: input.id ?? snowflake(),
      username: input.username,
      discriminator: "0",
      global_name: input.globalName ?? null,
      avatar: null,
      public_flags: 0,
    };
    this.users.set(user.id, user);
    return user;
  }

  join(user: User): GuildMember & { user: User } {
    const existing = this.members.get(user.id);
    if (existing) return existing;
    const member = { user, nick: null, avatar: null, roles: [], joined_at: now(), premium_since: null, deaf: false, mute: false, flags: 0, pending: false };
    this.members.set(user.id, member);
    return member;
  }

  /** The DM channel between a bot and a person (one per pair, as Discord keeps it). */
  dmChannel(botId: string, person: User): Channel {
    for (const [id, dm] of this.dms) if (dm.botId === botId && dm.person.id === person.id) return this.channels.get(id)!;
    const channel: Channel = { id: snowflake(), type: CHANNEL_TYPE.DM, last_message_id: null, recipients: [person], flags: 0 };
    this.channels.set(channel.id, channel);
    this.dms.set(channel.id, { botId, person });
    return channel;
  }

  /** Whether a bot sees a channel: every guild channel (it is a member with every permission), and its own DMs. */
  canSee(botId: string, channel: Channel): boolean {
    if (channel.guild_id === this.guild.id) return true;
    return this.dms.get(channel.id)?.botId === botId;
  }

  /** The users a message's `<@id>` mentions name (those this Discord knows). */
  mentionsIn(content: string): User[] {
    const ids = new Set([...content.matchAll(/<@!?(\d+)>/g)].map((match) => match[1]!));
    return [...ids].map((id) => this.users.get(id)).filter((user): user is User => user !== undefined);
  }

  messagesIn(channelId: string): Message[] {
    return this.messages.get(channelId) ?? [];
  }

  findMessage(channelId: string, messageId: string): Message | undefined {
    return this.messagesIn(channelId).find((message) => message.id === messageId);
  }

  /** A new message in a channel, dispatched as MESSAGE_CREATE. */
  post(channel: Channel, author: User, fields: Partial<Message> & { content: string }): Message {
    const reference = fields.message_reference;
    const referenced = reference?.message_id ? this.findMessage(reference.channel_id ?? channel.id, reference.message_id) : undefined;
    const message: Message = {
      type: referenced ? MESSAGE_TYPE.Reply : MESSAGE_TYPE.Default,
      channel_id: channel.id,
      author,
      timestamp: now(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: this.mentionsIn(fields.content),
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      flags: 0,
      components: [],
      ...fields,
      id: snowflake(),
      ...(reference
        ? {
            message_reference: {
              type: 0,
              message_id: reference.message_id,
              channel_id: channel.id,
              ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
            },
            referenced_message: referenced ?? null,
          }
        : {}),
    };
    const list = this.messages.get(channel.id) ?? [];
    list.push(message);
    this.messages.set(channel.id, list);
    channel.last_message_id = message.id;
    this.emit({ t: "MESSAGE_CREATE", channel, d: this.withGuild(channel, message), message });
    return message;
  }

  edit(channel: Channel, message: Message, fields: Partial<Message>): Message {
    Object.assign(message, fields, { edited_timestamp: now() });
    if (fields.content !== undefined) message.mentions = this.mentionsIn(fields.content);
    this.emit({ t: "MESSAGE_UPDATE", channel, d: this.withGuild(channel, message), message });
    return message;
  }

  remove(channel: Channel, message: Message): void {
    const list = this.messages.get(channel.id) ?? [];
    list.splice(list.indexOf(message), 1);
    this.emit({ t: "MESSAGE_DELETE", channel, d: { id: message.id, channel_id: channel.id, ...(channel.guild_id ? { guild_id: channel.guild_id } : {}) } });
  }

  react(channel: Channel, message: Message, user: User, emoji: { id: string | null; name: string }, add: boolean): void {
    const reactions = message.reactions ?? [];
    const index = reactions.findIndex((reaction) => reaction.emoji.name === emoji.name && reaction.emoji.id === emoji.id);
    const existing = reactions[index];
    const mine = this.bots.has(user.id);
    if (add) {
      if (existing) {
        existing.count++;
        existing.count_details.normal++;
        existing.me ||= mine;
      } else reactions.push({ emoji, count: 1, count_details: { burst: 0, normal: 1 }, me: mine, me_burst: false, burst_colors: [] });
    } else if (existing) {
      existing.count--;
      existing.count_details.normal--;
      if (mine) existing.me = false;
      if (existing.count <= 0) reactions.splice(index, 1);
    }
    message.reactions = reactions;
    const d = {
      user_id: user.id,
      channel_id: channel.id,
      message_id: message.id,
      emoji,
      burst: false,
      type: 0,
      ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
      ...(add ? { message_author_id: message.author.id } : {}),
      ...(add && channel.guild_id ? { member: this.memberPayload(user.id, true) } : {}),
    };
    this.emit({ t: add ? "MESSAGE_REACTION_ADD" : "MESSAGE_REACTION_REMOVE", channel, d });
  }

  /** The guild member as Discord embeds it (`withUser` for objects that carry the user in the member). */
  memberPayload(userId: string, withUser: boolean): Record<string, unknown> | undefined {
    const member = this.members.get(userId);
    if (!member) return undefined;
    const { user, ...rest } = member;
    return withUser ? { ...rest, user } : rest;
  }

  /** GUILD_CREATE's payload: the guild with what only the Gateway carries (channels, members, counts). */
  guildCreatePayload(): Record<string, unknown> {
    return {
      ...this.guild,
      joined_at: now(),
      large: false,
      unavailable: false,
      member_count: this.members.size,
      voice_states: [],
      members: [...this.members.keys()].map((id) => this.memberPayload(id, true)),
      channels: this.textChannels(),
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  private withGuild(channel: Channel, message: Message): Record<string, unknown> {
    if (!channel.guild_id) return { ...message };
    return { ...message, guild_id: channel.guild_id, member: this.memberPayload(message.author.id, false) };
  }

  private emit(event: WorldEvent): void {
    this.events.emit("dispatch", event);
  }
}

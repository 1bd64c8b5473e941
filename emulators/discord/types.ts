/**
 * The Discord objects the emulator hands out, as Discord's API v10 shapes them (only the fields
 * a bot library reads; https://discord.com/developers/docs/resources). Ids are snowflakes, strings.
 */

export interface User {
  id: string;
  username: string;
  /** "0" for every account since the move to unique usernames. */
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
  system?: boolean;
  public_flags?: number;
}

export interface BotUser extends User {
  bot: true;
  verified: boolean;
  mfa_enabled: boolean;
  flags: number;
}

/** Channel types the emulator creates: a guild text channel and a DM. */
export const CHANNEL_TYPE = { GuildText: 0, DM: 1 } as const;

export interface Channel {
  id: string;
  type: number;
  guild_id?: string;
  name?: string;
  topic?: string | null;
  position?: number;
  nsfw?: boolean;
  parent_id?: string | null;
  permission_overwrites?: unknown[];
  rate_limit_per_user?: number;
  last_message_id: string | null;
  /** DMs only: the person on the other side. */
  recipients?: User[];
  flags: number;
}

export interface Role {
  id: string;
  name: string;
  color: number;
  colors: { primary_color: number; secondary_color: number | null; tertiary_color: number | null };
  hoist: boolean;
  icon: null;
  unicode_emoji: null;
  position: number;
  permissions: string;
  managed: boolean;
  mentionable: boolean;
  flags: number;
}

export interface GuildMember {
  user?: User;
  nick: string | null;
  avatar: null;
  roles: string[];
  joined_at: string;
  premium_since: null;
  deaf: boolean;
  mute: boolean;
  flags: number;
  pending: boolean;
}

export interface Guild {
  id: string;
  name: string;
  icon: null;
  splash: null;
  discovery_splash: null;
  banner: null;
  description: null;
  owner_id: string;
  afk_channel_id: null;
  afk_timeout: number;
  verification_level: number;
  default_message_notifications: number;
  explicit_content_filter: number;
  mfa_level: number;
  nsfw_level: number;
  premium_tier: number;
  premium_subscription_count: number;
  premium_progress_bar_enabled: boolean;
  preferred_locale: string;
  system_channel_id: string | null;
  system_channel_flags: number;
  rules_channel_id: null;
  public_updates_channel_id: null;
  safety_alerts_channel_id: null;
  application_id: null;
  vanity_url_code: null;
  max_members: number;
  max_video_channel_users: number;
  roles: Role[];
  emojis: unknown[];
  stickers: unknown[];
  features: string[];
}

export interface Attachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
}

export interface Reaction {
  emoji: { id: string | null; name: string };
  count: number;
  count_details: { burst: number; normal: number };
  me: boolean;
  me_burst: boolean;
  burst_colors: string[];
}

export interface MessageReference {
  type?: number;
  message_id?: string;
  channel_id?: string;
  guild_id?: string;
  fail_if_not_exists?: boolean;
}

/** Message types the emulator produces: a plain message and a reply. */
export const MESSAGE_TYPE = { Default: 0, Reply: 19 } as const;

export interface Message {
  id: string;
  channel_id: string;
  author: User;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: User[];
  mention_roles: string[];
  attachments: Attachment[];
  embeds: unknown[];
  reactions?: Reaction[];
  nonce?: string | number;
  pinned: boolean;
  type: number;
  flags: number;
  components: unknown[];
  message_reference?: MessageReference;
  referenced_message?: Message | null;
}

export interface Application {
  id: string;
  name: string;
  icon: null;
  description: string;
  bot_public: boolean;
  bot_require_code_grant: boolean;
  verify_key: string;
  flags: number;
  owner: User;
  team: null;
  bot: User;
  summary: string;
}

export interface ApplicationCommand {
  id: string;
  application_id: string;
  guild_id?: string;
  version: string;
  type: number;
  name: string;
  description: string;
  [field: string]: unknown;
}

/** One Gateway frame, either way (op 0 carries `t` and `s`). */
export interface GatewayPayload {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}

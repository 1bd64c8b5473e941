/**
 * What people do, for the control API: write in a guild channel or to the bot directly. Their
 * messages reach the bot the way Discord delivers them, as MESSAGE_CREATE on its Gateway sessions.
 */
import type { EmulatedBot } from "./bot.ts";
import { DiscordError } from "./errors.ts";
import type { Channel, Message } from "./types.ts";
import type { DiscordWorld, PersonInput } from "./world.ts";

export interface UserMessageInput {
  from: PersonInput;
  /** A guild text channel (default: the first one, #general). */
  channelId?: string;
  /** Write to the bot directly instead (its DM channel with this person). */
  dm?: boolean;
  text: string;
  /** A message id in the same channel this one replies to. */
  replyTo?: string;
}

export function userSends(world: DiscordWorld, bot: EmulatedBot, input: UserMessageInput): { message: Message; channel: Channel } {
  if (typeof input?.text !== "string" || !input.text) throw new DiscordError(400, 50006, "Cannot send an empty message (the control API takes { from, text })");
  if (typeof input.from?.username !== "string" && typeof input.from?.id !== "string")
    throw new DiscordError(400, 50035, 'from needs a username (and optionally an id), e.g. { "from": { "username": "alice" } }');
  const person = world.person({ ...input.from, username: input.from.username ?? `user_${input.from.id}` });
  let channel: Channel | undefined;
  if (input.dm) channel = world.dmChannel(bot.user.id, person);
  else {
    world.join(person);
    channel = input.channelId ? world.channels.get(input.channelId) : world.textChannels()[0];
    if (!channel?.guild_id)
      throw new DiscordError(
        404,
        10003,
        `Unknown Channel: ${input.channelId} is not a text channel of this guild (channels: ${world
          .textChannels()
          .map((c) => `#${c.name} ${c.id}`)
          .join(", ")})`,
      );
  }
  if (input.replyTo && !world.findMessage(channel.id, input.replyTo))
    throw new DiscordError(404, 10008, `Unknown Message: ${input.replyTo} is not in this channel`);
  const message = world.post(channel, person, { content: input.text, ...(input.replyTo ? { message_reference: { message_id: input.replyTo } } : {}) });
  return { message, channel };
}

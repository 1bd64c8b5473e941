/**
 * Bot tokens in Discord's shape: `<base64 of the bot's user id>.<6 characters>.<27 or more characters>`
 * (the second part encodes when it was made, the third is an HMAC). OpenClaw reads the application id
 * out of the first part (parseApplicationIdFromToken in extensions/discord/src/probe.ts), so it must
 * decode to the bot's id. Discord answers any other token 401 on REST and 4004 on the Gateway.
 */
import { randomBytes } from "node:crypto";

const TOKEN_SHAPE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{6})\.([A-Za-z0-9_-]{27,})$/;

/** The user id a token names, or undefined when it is not a bot token's shape. */
export function botIdOf(token: string): string | undefined {
  const match = TOKEN_SHAPE.exec(token);
  if (!match) return undefined;
  const id = Buffer.from(match[1]!, "base64url").toString("utf8");
  return /^\d{15,21}$/.test(id) ? id : undefined;
}

export function isWellFormedToken(token: string): boolean {
  return botIdOf(token) !== undefined;
}

export function generateToken(botId: string): string {
  const id = Buffer.from(botId, "utf8").toString("base64url");
  const made = Buffer.from(
    Math.floor(Date.now() / 1000)
      .toString(16)
      .slice(-8),
    "hex",
  )
    .toString("base64url")
    .slice(0, 6)
    .padEnd(6, "A");
  return `${id}.${made}.${randomBytes(29).toString("base64url").slice(0, 38)}`;
}

/** The token in an `Authorization: Bot <token>` header (bots must use the `Bot` scheme). */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  const match = /^Bot\s+(\S+)$/i.exec(header?.trim() ?? "");
  return match?.[1];
}

/** IDENTIFY's and RESUME's token: the bare token (a `Bot ` prefix, which some libraries add, is tolerated). */
export function tokenFromIdentify(token: string): string {
  return token.replace(/^Bot\s+/i, "").trim();
}

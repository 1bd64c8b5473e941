/**
 * Bot tokens as BotFather issues them: `<bot id>:<35 characters of A-Z a-z 0-9 _ ->`. A path
 * whose token has another shape is answered 404 by Telegram; a well-formed token no bot has,
 * 401 Unauthorized.
 */
import { randomBytes } from "node:crypto";

export const TOKEN_SHAPE = /^(\d{1,20}):[A-Za-z0-9_-]{35}$/;

export function isWellFormedToken(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}

/** The bot id a token names (its part before the colon). */
export function botIdOf(token: string): number {
  return Number(token.slice(0, token.indexOf(":")));
}

export function generateToken(botId: number): string {
  // base64url of 27 bytes is 36 characters: the secret part is the first 35.
  return `${botId}:${randomBytes(27).toString("base64url").slice(0, 35)}`;
}

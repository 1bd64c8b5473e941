/**
 * The Bot API's error answers, with the descriptions Telegram sends (clients such as grammY
 * show them verbatim, and bots match on them: "message is not modified" is routinely ignored).
 */
import type { ApiAnswer } from "./types.ts";

export class TelegramError extends Error {
  readonly errorCode: number;
  readonly description: string;
  readonly parameters: { retry_after?: number } | undefined;

  constructor(errorCode: number, description: string, parameters?: { retry_after?: number }) {
    super(description);
    this.errorCode = errorCode;
    this.description = description;
    this.parameters = parameters;
  }

  answer(): ApiAnswer<never> {
    return { ok: false, error_code: this.errorCode, description: this.description, ...(this.parameters ? { parameters: this.parameters } : {}) };
  }
}

export const badRequest = (what: string) => new TelegramError(400, `Bad Request: ${what}`);

/** A token of the right shape that no bot has (or a revoked one). */
export const UNAUTHORIZED = () => new TelegramError(401, "Unauthorized");
/** A path that is not `/bot<token>/<method>` with a well-formed token, or a method that does not exist. */
export const NOT_FOUND = () => new TelegramError(404, "Not Found");

export const WEBHOOK_ACTIVE = () =>
  new TelegramError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
export const TERMINATED_BY_OTHER = () =>
  new TelegramError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running");

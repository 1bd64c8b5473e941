/**
 * Discord's error answers: `{ "message": …, "code": … }` with Discord's JSON error codes
 * (https://discord.com/developers/docs/topics/opcodes-and-status-codes#json), and for a body
 * that fails validation, code 50035 "Invalid Form Body" with the `errors` tree naming the field.
 * Clients show the message and branch on the code (discord.js's DiscordAPIError).
 */
export class DiscordError extends Error {
  readonly status: number;
  readonly code: number;
  readonly errors: unknown;

  constructor(status: number, code: number, message: string, errors?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.errors = errors;
  }

  body(): { message: string; code: number; errors?: unknown } {
    return { message: this.message, code: this.code, ...(this.errors === undefined ? {} : { errors: this.errors }) };
  }
}

export const UNAUTHORIZED = () => new DiscordError(401, 0, "401: Unauthorized");
export const NOT_FOUND = () => new DiscordError(404, 0, "404: Not Found");
export const METHOD_NOT_ALLOWED = () => new DiscordError(405, 0, "405: Method Not Allowed");
export const UNKNOWN_CHANNEL = () => new DiscordError(404, 10003, "Unknown Channel");
export const UNKNOWN_GUILD = () => new DiscordError(404, 10004, "Unknown Guild");
export const UNKNOWN_MEMBER = () => new DiscordError(404, 10007, "Unknown Member");
export const UNKNOWN_MESSAGE = () => new DiscordError(404, 10008, "Unknown Message");
export const UNKNOWN_USER = () => new DiscordError(404, 10013, "Unknown User");
export const UNKNOWN_EMOJI = () => new DiscordError(400, 10014, "Unknown Emoji");
export const UNKNOWN_APPLICATION = () => new DiscordError(404, 10002, "Unknown Application");
export const UNKNOWN_COMMAND = () => new DiscordError(404, 10063, "Unknown application command");
export const CANNOT_EDIT_OTHERS = () => new DiscordError(403, 50005, "Cannot edit a message authored by another user");
export const EMPTY_MESSAGE = () => new DiscordError(400, 50006, "Cannot send an empty message");
export const INVALID_RECIPIENTS = () => new DiscordError(400, 50033, "Invalid Recipient(s)");
export const INVALID_JSON = () => new DiscordError(400, 50109, "The request body contains invalid JSON.");

/** 50035 with Discord's error tree: `{ field: { _errors: [{ code, message }] } }`. */
export function invalidFormBody(field: string, code: string, message: string): DiscordError {
  return new DiscordError(400, 50035, "Invalid Form Body", { [field]: { _errors: [{ code, message }] } });
}

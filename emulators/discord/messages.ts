/**
 * The bodies of "create message" and "edit message" as Discord reads them: JSON, or multipart with
 * the JSON in `payload_json` and files as `files[n]` (how clients upload attachments), checked with
 * Discord's limits and error codes.
 */
import { DiscordError, EMPTY_MESSAGE, INVALID_JSON, invalidFormBody } from "./errors.ts";
import { snowflake } from "./snowflake.ts";
import type { Attachment, MessageReference } from "./types.ts";

export const MAX_CONTENT_LENGTH = 2000;
const MAX_EMBEDS = 10;

export interface MessageBody {
  content?: string;
  embeds?: unknown[];
  components?: unknown[];
  flags?: number;
  nonce?: string | number;
  tts?: boolean;
  message_reference?: MessageReference;
  sticker_ids?: string[];
  poll?: unknown;
  allowed_mentions?: unknown;
  attachments?: unknown[];
}

export async function readMessageBody(request: Request, attachmentBase: string): Promise<{ body: MessageBody; files: Attachment[] }> {
  const type = request.headers.get("content-type") ?? "";
  if (type.startsWith("multipart/form-data")) {
    let form: FormData;
    try {
      form = await request.formData();
    } catch {
      throw new DiscordError(400, 50035, "Invalid Form Body");
    }
    const payload = form.get("payload_json");
    const body = typeof payload === "string" ? parseJson(payload) : {};
    const files: Attachment[] = [];
    for (const [field, value] of form.entries()) {
      if (!/^files\[\d+\]$/.test(field) || typeof value === "string") continue;
      const id = snowflake();
      const url = `${attachmentBase}/${id}/${encodeURIComponent(value.name)}`;
      files.push({ id, filename: value.name, size: value.size, url, proxy_url: url, ...(value.type ? { content_type: value.type } : {}) });
    }
    return { body, files };
  }
  const text = await request.text();
  return { body: text ? parseJson(text) : {}, files: [] };
}

function parseJson(text: string): MessageBody {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw INVALID_JSON();
    return parsed as MessageBody;
  } catch {
    throw INVALID_JSON();
  }
}

/** Discord's checks on what a message may hold. `creating`: a new message must have something in it. */
export function checkMessageBody(body: MessageBody, files: Attachment[], creating: boolean): void {
  if (body.content !== undefined && body.content !== null && typeof body.content !== "string")
    throw invalidFormBody("content", "BASE_TYPE_STRING", "Must be a valid string.");
  if ((body.content?.length ?? 0) > MAX_CONTENT_LENGTH)
    throw invalidFormBody("content", "BASE_TYPE_MAX_LENGTH", `Must be ${MAX_CONTENT_LENGTH} or fewer in length.`);
  if ((body.embeds?.length ?? 0) > MAX_EMBEDS) throw invalidFormBody("embeds", "BASE_TYPE_MAX_LENGTH", `Must be ${MAX_EMBEDS} or fewer in length.`);
  if (!creating) return;
  const empty = !body.content && !body.embeds?.length && !files.length && !body.sticker_ids?.length && !body.components?.length && !body.poll;
  if (empty) throw EMPTY_MESSAGE();
}

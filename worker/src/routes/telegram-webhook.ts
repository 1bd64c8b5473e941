/**
 * POST /telegram/webhook: Telegram's updates for a container that may be asleep (a kit
 * extension; moltworker polls, so nothing reads Telegram while its container sleeps). Telegram
 * authenticates with the secret it was given at setWebhook, not with Access. The Worker checks
 * it, then the Sandbox DO wakes the container and hands the update to OpenClaw's listener; the
 * answer is OpenClaw's, so Telegram keeps an update it did not take and sends it again.
 */
import type { Context } from "hono";
import { TELEGRAM_SECRET_HEADER } from "../../../contract/telegram.ts";
import { sandboxStub } from "../container/sandbox-stub.ts";
import type { AppEnv } from "../types.ts";

/** Telegram's updates are a few KB; anything this large is not one. */
const MAX_UPDATE_BYTES = 1024 * 1024;

/** Compares digests, so the time taken says nothing about how much of the secret matched. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const digest = async (text: string) => new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

export async function telegramWebhook(c: Context<AppEnv>): Promise<Response> {
  const secret = c.env.TELEGRAM_WEBHOOK_SECRET;
  if (!secret || !c.env.TELEGRAM_BOT_TOKEN) return c.json({ error: "Telegram webhooks are off: set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET" }, 404);
  if (!(await sameSecret(c.req.header(TELEGRAM_SECRET_HEADER) ?? "", secret))) return c.json({ error: "wrong or missing secret token" }, 401);
  const length = Number(c.req.header("content-length") ?? 0);
  if (length > MAX_UPDATE_BYTES) return c.json({ error: "not a Telegram update: too large" }, 413);
  const body = await c.req.text();
  let update: unknown;
  try {
    update = JSON.parse(body);
  } catch {
    update = undefined;
  }
  const id = (update as { update_id?: unknown } | undefined)?.update_id;
  // Telegram only sends well-formed updates; a 400 tells a sender that retrying will not help.
  if (body.length > MAX_UPDATE_BYTES || !Number.isSafeInteger(id))
    return c.json({ error: "not a Telegram update: a JSON object with an integer update_id" }, 400);
  const result = await sandboxStub(c.env).telegramUpdate(body);
  return new Response(result.body, { status: result.status, headers: { "content-type": result.contentType ?? "application/json" } });
}

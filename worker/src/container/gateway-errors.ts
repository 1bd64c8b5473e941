/**
 * OpenClaw's auth errors ("token missing", "token mismatch", "pairing required") leave a
 * browser user stuck: they cannot see or set the token the Worker injects. These rewrites
 * turn them into something the user can act on, pointing at the admin page.
 */

const ADMIN = "/_admin/";

/** Short enough for a WebSocket close reason (≤ 123 bytes) on their own. */
const REWRITES: readonly { pattern: RegExp; message: string }[] = [
  { pattern: /pairing required/i, message: `Pairing required: approve this device at ${ADMIN} (Devices), then reconnect.` },
  {
    pattern: /token (missing|mismatch)|missing token|invalid token|unauthorized/i,
    message: `Gateway token rejected. Check the MOLTBOT_GATEWAY_TOKEN secret, then restart the gateway at ${ADMIN}`,
  },
];

/** The actionable replacement for a gateway error text, or null when it is not one we know. */
export function actionableMessage(text: string): string | null {
  return REWRITES.find((rule) => rule.pattern.test(text))?.message ?? null;
}

export const MAX_CLOSE_REASON_BYTES = 123;

/** Cuts UTF-8 text to at most `maxBytes` bytes without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

export function closeReason(reason: string, secrets: readonly string[]): string {
  return truncateUtf8(actionableMessage(reason) ?? redact(reason, secrets), MAX_CLOSE_REASON_BYTES);
}

/**
 * A text frame from the gateway on its way to the browser: JSON error messages rewritten,
 * and the gateway token (which only the upstream request carried) never echoed back.
 */
export function rewriteFrame(data: string, secrets: readonly string[]): string {
  const redacted = redact(data, secrets);
  if (!/"error"/.test(redacted)) return redacted;
  let frame: unknown;
  try {
    frame = JSON.parse(redacted);
  } catch {
    return redacted;
  }
  const error = (frame as { error?: { message?: unknown } } | null)?.error;
  if (!error || typeof error.message !== "string") return redacted;
  const message = actionableMessage(error.message);
  if (message === null) return redacted;
  error.message = message;
  return JSON.stringify(frame);
}

export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret.length >= 4) result = result.split(secret).join("[redacted]");
  return result;
}

/**
 * Identifiers in Cloudflare's formats, so code that checks them (Terraform import ids, the
 * Worker's CF_ACCESS_AUD, moltworker's CF_ACCOUNT_ID) accepts the emulator's:
 * 32 lowercase hex digits for accounts, zones, DNS records, routes and custom domains; UUIDs for
 * Access applications, policies and identity providers; 64 hex digits for an Access AUD tag.
 */
import { randomUUID } from "node:crypto";
import { randomSecret } from "../../core/secret.ts";

export const hexId = (): string => randomSecret(16);
export const uuid = (): string => randomUUID();
export const audTag = (): string => randomSecret(32);

export const HEX_ID = /^[0-9a-f]{32}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * An API token as Cloudflare issues them: 40 characters of A-Z a-z 0-9 _ - (the shape the dashboard
 * shows and tools such as wrangler accept).
 */
export const TOKEN = /^[A-Za-z0-9_-]{40}$/;
const TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

export function generateToken(): string {
  // 64 symbols: a byte's low 6 bits pick one without bias.
  return [...Buffer.from(randomSecret(40), "hex")].map((byte) => TOKEN_ALPHABET[byte & 63]).join("");
}

/** ISO 8601 with milliseconds, as the API writes timestamps. */
export const now = (): string => new Date().toISOString();

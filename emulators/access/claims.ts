/**
 * The payload of an Access *application* token, as Cloudflare issues it for a person who
 * logged in and for a service token.
 */
import type { AccessClaims } from "../../contract/access.ts";
import { createHash, randomBytes } from "node:crypto";

/** Cloudflare's default application session duration. */
export const SESSION_SECONDS = 24 * 60 * 60;

/** "XX" is what Cloudflare reports (e.g. in CF-IPCountry) when it does not know the country. */
export const DEFAULT_COUNTRY = "XX";

export interface ClaimContext {
  issuer: string;
  audience: string;
  country: string;
  /** Seconds since the epoch; defaults to the current time. */
  now?: number;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A UUID-shaped id derived from the email, so the same person keeps the same `sub` across restarts. */
export function subjectFor(email: string): string {
  const hex = createHash("sha256").update(`moltlab-access:${email.toLowerCase()}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function timing(now = nowSeconds()): Pick<AccessClaims, "iat" | "nbf" | "exp"> {
  return { iat: now, nbf: now, exp: now + SESSION_SECONDS };
}

export function personClaims(email: string, context: ClaimContext): AccessClaims {
  return {
    aud: [context.audience],
    email,
    ...timing(context.now),
    iss: context.issuer,
    type: "app",
    identity_nonce: randomBytes(12).toString("base64url"),
    sub: subjectFor(email),
    country: context.country,
  };
}

/** What Access issues after a valid CF-Access-Client-Id/-Secret pair: no email, no person. */
export function serviceTokenClaims(clientId: string, context: ClaimContext): AccessClaims {
  return { aud: [context.audience], common_name: clientId, ...timing(context.now), iss: context.issuer, sub: "", type: "app" };
}

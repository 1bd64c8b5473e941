/**
 * Every way a token can be wrong that a verifier must catch: the kinds Authority.broken mints.
 * A file of its own that imports nothing, so the Worker's tests (in workerd, without the
 * emulator's node:crypto) reject the very same list.
 */
export const BROKEN_KINDS = [
  "expired",
  "not-yet-valid",
  "wrong-audience",
  "wrong-issuer",
  /** Signed by a key that is not in the JWKS, under the current kid. */
  "bad-signature",
  /** Signed by the current key, but the header names a kid nobody published. */
  "unknown-kid",
  /** `alg: none` and an empty signature. */
  "alg-none",
  /** HS256 with the RSA public key (PEM) as the HMAC secret: the classic key-confusion attack. */
  "hs256-confusion",
  /** Two dot-separated parts instead of three. */
  "malformed-parts",
  /** Three parts, but the header is not JSON. */
  "malformed-header",
  /** Correctly signed, but the payload is not JSON. */
  "malformed-payload",
] as const;
export type BrokenKind = (typeof BROKEN_KINDS)[number];

/**
 * Cloudflare Access on the wire, as the Worker checks it and the Access emulator serves it:
 * the application token arrives in a header (set by Access's edge) or a cookie, and the team
 * domain publishes its signing keys and its login page at fixed paths.
 */
/** Header names are case-insensitive; this is Cloudflare's spelling. */
export const ASSERTION_HEADER = "Cf-Access-Jwt-Assertion";
export const COOKIE_NAME = "CF_Authorization";
/** The team domain's JWKS. */
export const CERTS_PATH = "/cdn-cgi/access/certs";
/** The team domain's login; `/<app hostname>` and `?redirect_url=` follow. */
export const LOGIN_PATH = "/cdn-cgi/access/login";

/** The claims of an Access application token (RS256, signed by the team domain). */
export interface AccessClaims {
  /** The application's AUD tag, always as an array. */
  aud: string[];
  /** The team domain URL. */
  iss: string;
  /** Stable per identity; the empty string for service tokens. */
  sub: string;
  iat: number;
  nbf: number;
  exp: number;
  type: "app";
  /** Person tokens only. */
  email?: string;
  /** Person tokens only: names the identity record behind the session. */
  identity_nonce?: string;
  /** Person tokens only: two-letter country of the login. */
  country?: string;
  /** Service tokens only: the client id. */
  common_name?: string;
  [claim: string]: unknown;
}

/**
 * The team's login page for an application: `/cdn-cgi/access/login/<app hostname>` with the
 * page to return to in `redirect_url`, as Cloudflare's edge redirects; without a page to return
 * to, the team's plain login. `teamOrigin` is a URL origin (https://<team>.cloudflareaccess.com).
 */
export function loginUrl(teamOrigin: string, redirectUrl?: string): string {
  if (redirectUrl === undefined) return new URL(LOGIN_PATH, teamOrigin).href;
  const url = new URL(`${LOGIN_PATH}/${new URL(redirectUrl).hostname}`, teamOrigin);
  url.searchParams.set("redirect_url", redirectUrl);
  return url.href;
}

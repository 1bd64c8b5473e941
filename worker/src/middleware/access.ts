/**
 * Cloudflare Access validation, as moltworker does it: the application token from the
 * `CF-Access-JWT-Assertion` header (set by Access's edge) or the `CF_Authorization` cookie,
 * RS256 against the team's JWKS, issuer = team domain URL, audience = CF_ACCESS_AUD.
 * A bad token gets a 401; keys that cannot be fetched get a 503 (fail closed, never open).
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { html } from "hono/html";
import { createRemoteJWKSet, errors, type JWKSCacheInput, jwksCache, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { AppEnv } from "../types.ts";
import { wantsHtml } from "../http.ts";
import { ASSERTION_HEADER, CERTS_PATH, COOKIE_NAME, loginUrl, type AccessClaims } from "../../../contract/access.ts";

/**
 * The team domain as a URL origin. Cloudflare's values are bare hostnames
 * (`myteam.cloudflareaccess.com`); a value with a scheme (moltlab's emulator is
 * `http://127.0.0.1:PORT`) is used as it is.
 */
export function teamDomainUrl(raw: string): string {
  const trimmed = raw.trim().replace(/\/+$/, "");
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
}

/**
 * How the Worker holds the team's keys (Cloudflare's guidance: fetch the certs and cache them).
 * A fetched key set is trusted for JWKS_CACHE_MS: during an outage of the team domain, tokens
 * signed by a cached key keep verifying that long, and no longer (then every request gets the
 * 503 below until the certs answer again). Access signs new tokens with a new key from the
 * moment it rotates (every 6 weeks by default, or on demand) and keeps the previous key published
 * for 7 days (developers.cloudflare.com/cloudflare-one/access-controls/applications/http-apps/
 * authorization-cookie/validating-json/), so the cache never refuses a good token; a key that has
 * left the JWKS is still accepted by a warm isolate until its cache expires or a token with an
 * unknown kid makes it refetch.
 */
export const JWKS_CACHE_MS = 10 * 60_000;
/** A certs fetch slower than this fails: the request gets a 503, it never hangs on the team domain. */
export const JWKS_TIMEOUT_MS = 5_000;

/**
 * One JWKS client per team domain and isolate. An unknown kid refetches at once (no cooldown):
 * right after a rotation the new key's tokens are accepted, not refused for jose's default 30 s.
 * The cost is at most one certs fetch per request carrying an unknown kid, which is what
 * upstream moltworker spends on every request. `fetched` is jose's cache record: it holds the
 * key set last fetched, a new object on every fetch, which is how a verified token knows the
 * key set that verified it is still the current one.
 */
interface TeamKeys {
  readonly getKey: ReturnType<typeof createRemoteJWKSet>;
  readonly fetched: JWKSCacheInput;
}
const keysByTeam = new Map<string, TeamKeys>();

function keysFor(team: string): TeamKeys {
  let keys = keysByTeam.get(team);
  if (!keys) {
    const fetched: JWKSCacheInput = {};
    const getKey = createRemoteJWKSet(new URL(`${team}${CERTS_PATH}`), {
      timeoutDuration: JWKS_TIMEOUT_MS,
      cacheMaxAge: JWKS_CACHE_MS,
      cooldownDuration: 0,
      [jwksCache]: fetched,
    });
    keys = { getKey, fetched };
    keysByTeam.set(team, keys);
  }
  return keys;
}

/**
 * Tokens this isolate has verified. A browser sends the same CF_Authorization cookie with every
 * request, and the RS256 check is CPU time on every one of them (billed on Cloudflare; about a
 * quarter of the Worker's own cost on a warm request in the bench), so a token is checked once per
 * key set. It is kept under the key set that verified it, and taken from here only while that key
 * set is still the current one and fresh (a refetch, e.g. for a rotation's unknown kid, or
 * JWKS_CACHE_MS passing, sends it through the full check again) and never at or past its `exp`.
 * The check's outcome depends only on the token's bytes, the team, the audience, the key set and
 * the time, so a kept token passes exactly when the check would pass it. Failures are not kept.
 */
const verifiedTokens = new Map<string, { claims: AccessClaims & JWTPayload; keys: unknown; expiresAt: number }>();
/** Enough for every signed-in browser and service token of a personal deployment; the oldest goes first. */
const VERIFIED_TOKENS_MAX = 256;

/** The team's keys could not be had, so no token can be checked: not the token's fault. */
export class AccessKeysUnavailable extends Error {
  constructor(
    readonly certsUrl: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`Cloudflare Access keys unavailable from ${certsUrl}: ${reason}`, options);
    this.name = "AccessKeysUnavailable";
  }
}

/** What went wrong with the certs fetch, in words safe to show (no token, no secret). */
function unavailableReason(error: unknown): string {
  if (error instanceof errors.JWKSTimeout) return `no answer within ${JWKS_TIMEOUT_MS / 1000} s`;
  if (error instanceof errors.JWKSInvalid) return "the answer is not a JSON Web Key Set";
  // jose's own messages: "Expected 200 OK from …", "Failed to parse … as JSON".
  if (error instanceof errors.JOSEError) return error.message;
  return "unreachable";
}

export async function verifyAccessToken(token: string, teamDomain: string, audience: string): Promise<AccessClaims & JWTPayload> {
  const team = teamDomainUrl(teamDomain);
  const keys = keysFor(team);
  const cacheKey = JSON.stringify([team, audience, token]);
  const known = verifiedTokens.get(cacheKey);
  // A copy: the claims of a kept token are the next request's too.
  if (known && known.keys === keys.fetched.jwks && keys.getKey.fresh && Date.now() < known.expiresAt) return structuredClone(known.claims);
  verifiedTokens.delete(cacheKey);
  // The key set the key came from: another request may refetch while the signature is checked.
  let checkedWith: unknown;
  // Tell "no key for this token" (the token's fault: 401) from "no keys at all" (ours: 503).
  const key: JWTVerifyGetKey = async (header, input) => {
    try {
      const found = await keys.getKey(header, input);
      checkedWith = keys.fetched.jwks;
      return found;
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new AccessKeysUnavailable(`${team}${CERTS_PATH}`, unavailableReason(error), { cause: error });
    }
  };
  const { payload } = await jwtVerify<AccessClaims & JWTPayload>(token, key, { issuer: team, audience, algorithms: ["RS256"] });
  // Kept only under the key set that verified it, and only while that is still the current one.
  // Access's tokens always carry exp; one without is checked every time rather than kept forever.
  // nbf was checked now and stays passed: this clock does not go back.
  if (typeof payload.exp === "number" && checkedWith !== undefined && checkedWith === keys.fetched.jwks) {
    if (verifiedTokens.size >= VERIFIED_TOKENS_MAX) verifiedTokens.delete(verifiedTokens.keys().next().value!);
    verifiedTokens.set(cacheKey, { claims: structuredClone(payload), keys: checkedWith, expiresAt: payload.exp * 1000 });
  }
  return payload;
}

/** A reason safe to show: jose's error code, never the token. */
function reasonOf(error: unknown): string {
  return error instanceof errors.JOSEError ? error.code : "invalid token";
}

/**
 * The answer when the keys are unavailable: 503 (the service, not the user's token, failed),
 * an HTML page for a browser and JSON for anything else. Fail closed: the request goes nowhere.
 */
function accessUnavailable(c: Context<AppEnv>, error: AccessKeysUnavailable): Response | Promise<Response> {
  console.error(`moltlab: ${error.message}; refusing requests until they can be fetched`);
  const message =
    `Cloudflare Access could not be checked: the team's signing keys (${error.certsUrl}) could not be fetched (${error.reason}). ` +
    "The request was refused, not let through. Try again in a moment; if this persists, check CF_ACCESS_TEAM_DOMAIN and https://www.cloudflarestatus.com.";
  const headers = { "cache-control": "no-store", "retry-after": String(RETRY_AFTER_SECONDS) };
  if (wantsHtml(c.req.raw)) return c.html(unavailablePage(message), 503, headers);
  return c.json({ error: message, reason: "ACCESS_KEYS_UNAVAILABLE" }, 503, headers);
}

const RETRY_AFTER_SECONDS = 10;

/** hono/html escapes what it interpolates. */
function unavailablePage(message: string) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in could not be checked</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>Sign-in could not be checked</h1>
<p>${message}</p>
<p><a href="">Try again</a></p>
</body></html>
`;
}

export const requireAccess: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get("devMode")?.bypass) return next();
  const teamDomain = c.env.CF_ACCESS_TEAM_DOMAIN;
  const audience = c.env.CF_ACCESS_AUD;
  if (!teamDomain || !audience) {
    // Answered to anyone (nobody can be authenticated), so it names Access's own two variables and nothing else.
    return c.json({ error: "Cloudflare Access is not configured: set CF_ACCESS_TEAM_DOMAIN and CF_ACCESS_AUD (wrangler secret put NAME)" }, 500);
  }
  if (!URL.canParse(teamDomainUrl(teamDomain))) {
    // A misconfiguration, not the visitor's token: without this it would surface as a 401 or a crash.
    return c.json({ error: "Cloudflare Access is misconfigured: CF_ACCESS_TEAM_DOMAIN must be a host name like myteam.cloudflareaccess.com" }, 500);
  }
  const token = c.req.header(ASSERTION_HEADER) ?? getCookie(c, COOKIE_NAME);
  if (!token) {
    if (wantsHtml(c.req.raw)) return c.redirect(loginUrl(teamDomainUrl(teamDomain), c.req.url), 302);
    return c.json({ error: "Unauthorized: no Cloudflare Access token (CF-Access-JWT-Assertion header or CF_Authorization cookie)" }, 401);
  }
  let claims: AccessClaims & JWTPayload;
  try {
    claims = await verifyAccessToken(token, teamDomain, audience);
  } catch (error) {
    if (error instanceof AccessKeysUnavailable) return accessUnavailable(c, error);
    return c.json(
      { error: "Unauthorized: invalid Cloudflare Access token", reason: reasonOf(error), login: loginUrl(teamDomainUrl(teamDomain), c.req.url) },
      401,
    );
  }
  c.set("identity", { email: claims.email, commonName: claims.common_name, sub: claims.sub ?? "" });
  return next();
};

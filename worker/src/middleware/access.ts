/**
 * Cloudflare Access validation, as moltworker does it: the application token from the
 * `CF-Access-JWT-Assertion` header (set by Access's edge) or the `CF_Authorization` cookie,
 * RS256 against the team's JWKS, issuer = team domain URL, audience = CF_ACCESS_AUD.
 */
import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from "jose";
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

/** One JWKS client per team domain and isolate: jose caches keys and rate-limits refetches. */
const jwksByTeam = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function jwksFor(team: string): ReturnType<typeof createRemoteJWKSet> {
  let jwks = jwksByTeam.get(team);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(`${team}${CERTS_PATH}`));
    jwksByTeam.set(team, jwks);
  }
  return jwks;
}

export async function verifyAccessToken(token: string, teamDomain: string, audience: string): Promise<AccessClaims & JWTPayload> {
  const team = teamDomainUrl(teamDomain);
  const { payload } = await jwtVerify<AccessClaims & JWTPayload>(token, jwksFor(team), { issuer: team, audience, algorithms: ["RS256"] });
  return payload;
}

/** A reason safe to show: jose's error code, never the token. */
function reasonOf(error: unknown): string {
  return error instanceof errors.JOSEError ? error.code : "invalid token";
}

export const requireAccess: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get("devMode")?.bypass) return next();
  const teamDomain = c.env.CF_ACCESS_TEAM_DOMAIN;
  const audience = c.env.CF_ACCESS_AUD;
  if (!teamDomain || !audience) {
    // Answered to anyone (nobody can be authenticated), so it names Access's own two variables and nothing else.
    return c.json({ error: "Cloudflare Access is not configured: set CF_ACCESS_TEAM_DOMAIN and CF_ACCESS_AUD (wrangler secret put NAME)" }, 500);
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
    return c.json(
      { error: "Unauthorized: invalid Cloudflare Access token", reason: reasonOf(error), login: loginUrl(teamDomainUrl(teamDomain), c.req.url) },
      401,
    );
  }
  c.set("identity", { email: claims.email, commonName: claims.common_name, sub: claims.sub ?? "" });
  return next();
};

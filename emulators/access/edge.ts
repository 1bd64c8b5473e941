/**
 * What Cloudflare's edge does for a request to an Access-protected application, as one
 * function of the request and the team's authority: no I/O, no state. The reverse-proxy
 * mode uses it in front of an upstream; Worker tests can call it to build the request the
 * Worker would really receive.
 */
import type { Authority } from "./tokens.ts";
import { ASSERTION_HEADER, COOKIE_NAME, loginUrl, type AccessClaims } from "../../contract/access.ts";

export const LOGOUT_PATH = "/cdn-cgi/access/logout";

/** Injected by the edge for person tokens. */
export const EMAIL_HEADER = "Cf-Access-Authenticated-User-Email";
export const CLIENT_ID_HEADER = "CF-Access-Client-Id";
export const CLIENT_SECRET_HEADER = "CF-Access-Client-Secret";
/** How `cloudflared access` presents a token it holds (instead of the cookie). */
export const TOKEN_HEADER = "cf-access-token";

export type AccessDecision =
  | {
      allowed: true;
      via: "cookie" | "token-header" | "service-token";
      /** The application token the edge forwards as Cf-Access-Jwt-Assertion. */
      token: string;
      claims: AccessClaims;
      /** Headers the edge sets on the request to the origin. */
      inject: Record<string, string>;
      /** Set-Cookie the edge adds to the response (service tokens get a session cookie too). */
      setCookie?: string;
    }
  | { allowed: false; status: 302 | 401 | 403; reason: string; response: Response };

/**
 * Host-only (no Domain attribute), so browsers send it to every port of the emulator's host
 * (RFC 6265 §8.5): a Worker on 127.0.0.1:8787 receives the cookie set by 127.0.0.1:<port>.
 * No `Secure`: everything here is plain HTTP.
 */
export function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${COOKIE_NAME}=${token}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax`;
}

export function clearedSessionCookie(): string {
  return `${COOKIE_NAME}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`;
}

/** The value of one cookie from a Cookie header, or undefined. */
export function readCookie(cookieHeader: string | null, name: string): string | undefined {
  for (const pair of cookieHeader?.split(";") ?? []) {
    const separator = pair.indexOf("=");
    if (separator > 0 && pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return undefined;
}

function wantsHtml(request: Request): boolean {
  return (request.headers.get("accept") ?? "").includes("text/html");
}

function deny(status: 401 | 403, reason: string): AccessDecision {
  const response = Response.json({ error: status === 401 ? "Cloudflare Access: authentication required" : "Cloudflare Access: forbidden", reason }, { status });
  return { allowed: false, status, reason, response };
}

function describe(error: unknown): string {
  return error instanceof Error && "code" in error ? String(error.code) : "invalid token";
}

export async function decideAccess(request: Request, authority: Authority): Promise<AccessDecision> {
  const clientId = request.headers.get(CLIENT_ID_HEADER);
  const clientSecret = request.headers.get(CLIENT_SECRET_HEADER);
  // Service-token headers are judged on their own: a wrong pair is a 403 even with a valid
  // cookie, and never a login redirect (there is no person to log in).
  if (clientId !== null || clientSecret !== null) {
    if (clientId === null || clientSecret === null || !authority.checkServiceToken(clientId, clientSecret)) {
      return deny(403, "invalid service token");
    }
    const token = authority.mintServiceToken(clientId);
    const claims = await authority.verify(token);
    return {
      allowed: true,
      via: "service-token",
      token,
      claims,
      inject: { [ASSERTION_HEADER]: token },
      setCookie: sessionCookie(token, claims.exp - claims.iat),
    };
  }

  const fromHeader = request.headers.get(TOKEN_HEADER) ?? undefined;
  const token = fromHeader ?? readCookie(request.headers.get("cookie"), COOKIE_NAME);
  let reason = "no Access credentials";
  if (token) {
    try {
      const claims = await authority.verify(token);
      const inject: Record<string, string> = { [ASSERTION_HEADER]: token };
      if (claims.email) inject[EMAIL_HEADER] = claims.email;
      return { allowed: true, via: fromHeader ? "token-header" : "cookie", token, claims, inject };
    } catch (error) {
      reason = `${fromHeader ? TOKEN_HEADER : COOKIE_NAME} rejected: ${describe(error)}`;
    }
  }
  if (wantsHtml(request)) {
    const response = new Response(null, { status: 302, headers: { location: loginUrl(authority.issuer, request.url) } });
    return { allowed: false, status: 302, reason, response };
  }
  return deny(401, reason);
}

/** Headers a client must not be able to set towards the origin, or that carry secrets. */
const EDGE_OWNED = [ASSERTION_HEADER, EMAIL_HEADER, CLIENT_ID_HEADER, CLIENT_SECRET_HEADER, "host"];

/** The request the edge sends to the origin at `upstream` for an allowed request. */
export function originRequest(request: Request, decision: AccessDecision & { allowed: true }, upstream: string): Request {
  const source = new URL(request.url);
  const target = new URL(source.pathname + source.search, upstream);
  const headers = new Headers(request.headers);
  for (const name of EDGE_OWNED) headers.delete(name);
  for (const [name, value] of Object.entries(decision.inject)) headers.set(name, value);
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return new Request(target, {
    method: request.method,
    headers,
    body: hasBody ? request.body : undefined,
    redirect: "manual",
    duplex: "half",
  } as RequestInit);
}

/**
 * Cross-site use of an Access session. A browser signed in to Access sends the CF_Authorization
 * cookie with requests that other sites start (a form POST, a `new WebSocket(...)`), so Access
 * alone does not tell the user's own pages from a hostile page — or from a page the agent in
 * the container serves. State-changing requests (every method but GET, HEAD, OPTIONS, TRACE)
 * and WebSocket upgrades (which get the gateway token injected) are therefore refused when
 * they come from a foreign origin:
 *
 * - with an `Origin` header, it must be one of the allowed origins: this request's own, the
 *   origin of WORKER_URL, and those listed in ALLOWED_ORIGINS. `Origin: null` (sandboxed
 *   frames, `data:` and `file:` pages, some redirects) is foreign.
 * - without one, `Sec-Fetch-Site` decides: `cross-site` and `same-site` are refused (the
 *   initiator cannot be matched against the list), `same-origin`, `none` or no header at all
 *   pass. Browsers send Origin on every POST and WebSocket handshake; clients that send
 *   neither header (curl, SDKs, service tokens) are not browsers and carry no ambient cookie.
 */
import type { MiddlewareHandler } from "hono";
import { isWebSocketUpgrade } from "../http.ts";
import type { AppEnv, Env } from "../types.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
/** A refused Origin is echoed in the answer; an absurdly long one is cut. */
const MAX_ECHOED_ORIGIN = 200;

/** `scheme://host[:port]` of a URL, or null for anything that has no such origin. */
function originOf(value: string): string | null {
  try {
    const origin = new URL(value.trim()).origin;
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}

export interface AllowedOrigins {
  origins: Set<string>;
  /** ALLOWED_ORIGINS entries that are not origins (logged, never allowed). */
  invalid: string[];
}

export function allowedOrigins(env: Env, requestUrl: string): AllowedOrigins {
  const origins = new Set<string>();
  const invalid: string[] = [];
  origins.add(new URL(requestUrl).origin);
  const worker = env.WORKER_URL ? originOf(env.WORKER_URL) : null;
  if (worker) origins.add(worker);
  for (const entry of (env.ALLOWED_ORIGINS ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean)) {
    const origin = originOf(entry);
    if (origin) origins.add(origin);
    else invalid.push(entry);
  }
  return { origins, invalid };
}

export interface CrossSiteRefusal {
  /** Who was refused, e.g. `origin "https://evil.example"`. */
  who: string;
  /** How to allow it, if it can be. */
  fix: string;
}

/** State-changing methods and WebSocket upgrades; GET, HEAD, OPTIONS and TRACE are not checked. */
export function needsOriginCheck(request: Request): boolean {
  return !SAFE_METHODS.has(request.method.toUpperCase()) || isWebSocketUpgrade(request);
}

/** Why the request is refused as cross-site, or null when it may pass. */
export function crossSiteRefusal(request: Request, allowed: ReadonlySet<string>): CrossSiteRefusal | null {
  if (!needsOriginCheck(request)) return null;
  const origin = request.headers.get("origin");
  if (origin !== null) {
    const normalized = originOf(origin);
    if (normalized !== null && allowed.has(normalized)) return null;
    if (normalized === null) {
      return {
        who: `origin ${JSON.stringify(origin.slice(0, MAX_ECHOED_ORIGIN))}`,
        fix: "An opaque origin (a sandboxed frame, a file: or data: page) cannot be allowed: make the request from a page served by an allowed origin.",
      };
    }
    return { who: `origin ${normalized}`, fix: `If that page is yours, add ${normalized} to ALLOWED_ORIGINS (comma-separated origins) and retry.` };
  }
  const site = request.headers.get("sec-fetch-site")?.trim().toLowerCase();
  if (site === "cross-site" || site === "same-site") {
    return {
      who: `a ${site} request without an Origin header`,
      fix: "Without an Origin it cannot be matched against ALLOWED_ORIGINS: make the request from an allowed origin, or send its Origin header.",
    };
  }
  return null;
}

export const refuseCrossSite: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!needsOriginCheck(c.req.raw)) return next();
  const { origins, invalid } = allowedOrigins(c.env, c.req.url);
  if (invalid.length) console.error(`moltlab: ALLOWED_ORIGINS entries ignored, not origins: ${invalid.join(", ")}; write each as scheme://host[:port]`);
  const refusal = crossSiteRefusal(c.req.raw, origins);
  if (refusal === null) return next();

  const upgrade = isWebSocketUpgrade(c.req.raw);
  const what = upgrade ? "a WebSocket upgrade" : `a ${c.req.method}`;
  const path = new URL(c.req.url).pathname;
  console.warn(`moltlab: refused ${what} to ${path} from ${refusal.who}`);
  const message =
    `Cross-site request refused: ${refusal.who} may not send ${what} to ${path} with your Cloudflare Access session ` +
    `(allowed origins: ${[...origins].join(", ")}). ${refusal.fix}`;
  if (upgrade) return c.text(message, 403);
  return c.json({ error: message }, 403);
};

/**
 * Cloudflare Access credentials are the Worker's, never the gateway's. The container runs an
 * agent that may be hostile: an Access JWT or session cookie reaching it could be replayed
 * against this Worker (or any other app behind the same Access team) as the signed-in user.
 * Everything bound for the container — proxied HTTP requests and WebSocket upgrades — goes
 * through `withoutAccessCredentials` first.
 */

/** Request headers that carry Access credentials (lower case, as `Headers` reports names). */
export const ACCESS_HEADERS = ["cf-access-jwt-assertion", "cf-access-client-id", "cf-access-client-secret", "cf-access-token"] as const;

/**
 * Cookies Access sets on the application's domain: the application token, the session
 * pointer Access keeps beside it, and the binding cookie (when the app enables it).
 */
export const ACCESS_COOKIES = ["CF_Authorization", "CF_AppSession", "CF_Binding"] as const;

const accessCookieNames = new Set<string>(ACCESS_COOKIES.map((name) => name.toLowerCase()));

/** The name of one `name=value` pair; "" for a pair without `=` (a nameless cookie). */
function cookieName(pair: string): string {
  const equals = pair.indexOf("=");
  return equals === -1 ? "" : pair.slice(0, equals).trim();
}

/**
 * Matched without regard to case: cookie names are case-sensitive, but a look-alike is not
 * worth the risk that some parser on the way folds case.
 */
function isAccessCookie(pair: string): boolean {
  // Two Cookie headers reach a Worker joined by ", ", so a pair may hide a second one after a comma.
  return pair.split(",").some((part) => accessCookieNames.has(cookieName(part).toLowerCase()));
}

/**
 * The Cookie header without Access's cookies; null when nothing else is left. The header is
 * split into its `name=value` pairs at ";" (RFC 6265 §4.2.1, the way hono's parser splits
 * it) and the other pairs are kept exactly as sent. It is deliberately not a round trip
 * through a cookie parser: hono's (and the `cookie` package's) decode values, keep only the
 * first of duplicate names and skip pairs they find malformed, so re-serialising would change
 * the cookies the gateway should see unchanged — or drop an Access cookie the parser skipped
 * while leaving its raw text in place for a laxer parser in the container to read.
 */
export function withoutAccessCookies(cookie: string): string | null {
  const kept = cookie
    .split(";")
    .map((pair) => pair.trim())
    .filter((pair) => pair !== "" && !isAccessCookie(pair));
  return kept.length ? kept.join("; ") : null;
}

/** A copy of `headers` with no Access credential in it: bound for the container. */
export function withoutAccessCredentials(headers: Headers): Headers {
  const stripped = new Headers(headers);
  for (const name of ACCESS_HEADERS) stripped.delete(name);
  const cookie = stripped.get("cookie");
  if (cookie !== null) {
    const kept = withoutAccessCookies(cookie);
    if (kept === null) stripped.delete("cookie");
    else stripped.set("cookie", kept);
  }
  return stripped;
}

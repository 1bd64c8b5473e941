/**
 * API-token authentication as the v4 API answers it, checked before anything else:
 * - no credentials at all: 400, 9106 "Missing X-Auth-Key, X-Auth-Email or Authorization headers";
 * - `Authorization` that is not `Bearer <token>`: 400, 6003 "Invalid request headers" with 6111
 *   "Invalid format for Authorization header" in its error_chain;
 * - a token the account does not have (or a revoked one): 403, 9109 "Invalid access token" —
 *   except on /user/tokens/verify, which answers 401, 1000 "Invalid API Token";
 * - X-Auth-Email + X-Auth-Key (a Global API Key): the emulator issues none, so 403, 9103
 *   "Unknown X-Auth-Key or X-Auth-Email".
 * The token itself never appears in an answer.
 */
import { timingSafeEqual } from "node:crypto";
import { apiError, CODES, type CloudflareApiError } from "./envelope.ts";

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

export function checkCredentials(request: Request, path: string, token: () => string | undefined): CloudflareApiError | undefined {
  const authorization = request.headers.get("authorization");
  if (authorization === null) {
    if (request.headers.has("x-auth-key") || request.headers.has("x-auth-email")) return apiError(403, 9103, "Unknown X-Auth-Key or X-Auth-Email");
    return apiError(400, CODES.MISSING_AUTH_HEADERS, "Missing X-Auth-Key, X-Auth-Email or Authorization headers");
  }
  const match = BEARER.exec(authorization.trim());
  if (!match)
    return apiError(400, CODES.INVALID_REQUEST_HEADERS, "Invalid request headers", [
      { code: CODES.INVALID_AUTHORIZATION_FORMAT, message: "Invalid format for Authorization header" },
    ]);
  const expected = token();
  if (expected !== undefined && same(match[1]!, expected)) return undefined;
  if (/\/user\/tokens\/verify$/.test(path)) return apiError(401, CODES.INVALID_API_TOKEN, "Invalid API Token");
  return apiError(403, CODES.INVALID_ACCESS_TOKEN, "Invalid access token");
}

function same(given: string, expected: string): boolean {
  const [a, b] = [Buffer.from(given), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}

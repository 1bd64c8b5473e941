/**
 * Cloudflare's v4 envelope: every answer is `{ success, errors, messages, result }`, lists add
 * `result_info`, and a failure carries `errors: [{ code, message }]` with Cloudflare's numeric
 * codes (clients match on them: the SDK surfaces `status` and `errors`, Terraform prints them).
 */

export interface ApiMessage {
  code: number;
  message: string;
  /** Informational messages carry it (null); errors do not. */
  type?: string | null;
  /** Cloudflare nests the cause of some errors here (e.g. 6003 "Invalid request headers" → 6111). */
  error_chain?: ApiMessage[];
}

/** Page-numbered lists (most of the API). */
export interface PageInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages: number;
}

/** Cursor lists (R2 buckets): the next page is asked for with `cursor`, absent on the last page. */
export interface CursorInfo {
  cursor?: string;
  per_page: number;
}

export class CloudflareApiError extends Error {
  readonly status: number;
  readonly errors: ApiMessage[];

  constructor(status: number, errors: ApiMessage[]) {
    super(errors.map((error) => `${error.message} [code: ${error.code}]`).join("; "));
    this.name = "CloudflareApiError";
    this.status = status;
    this.errors = errors;
  }
}

export const apiError = (status: number, code: number, message: string, chain?: ApiMessage[]) =>
  new CloudflareApiError(status, [{ code, message, ...(chain ? { error_chain: chain } : {}) }]);

const JSON_HEADERS = { "content-type": "application/json; charset=UTF-8" };

export function success(result: unknown, resultInfo?: PageInfo | CursorInfo, messages: ApiMessage[] = []): Response {
  const body = { success: true, errors: [], messages, result, ...(resultInfo ? { result_info: resultInfo } : {}) };
  return new Response(JSON.stringify(body), { status: 200, headers: JSON_HEADERS });
}

export function failure(error: CloudflareApiError): Response {
  const body = { success: false, errors: error.errors, messages: [], result: null };
  return new Response(JSON.stringify(body), { status: error.status, headers: JSON_HEADERS });
}

/** The codes the emulator answers with, named. Sources in README.md ("Errors"). */
export const CODES = {
  /** v4 API, any route: the token is not allowed here (another account's or zone's identifier). */
  AUTHENTICATION_ERROR: 10000,
  /** No `Authorization` and no `X-Auth-Email`/`X-Auth-Key`. */
  MISSING_AUTH_HEADERS: 9106,
  /** A well-formed token Cloudflare does not know (or a revoked one). */
  INVALID_ACCESS_TOKEN: 9109,
  /** `Authorization` that is not `Bearer <token>`: 6003 with 6111 in its error_chain. */
  INVALID_REQUEST_HEADERS: 6003,
  INVALID_AUTHORIZATION_FORMAT: 6111,
  /** GET /user/tokens/verify with an unknown token. */
  INVALID_API_TOKEN: 1000,
  NO_ROUTE: 7000,
  COULD_NOT_ROUTE: 7003,
  /** A body that is not JSON, or not an object. */
  MALFORMED_JSON: 6007,
} as const;

/** The two errors Cloudflare's router answers together for a path it cannot route (status 400). */
export function noRoute(path: string): CloudflareApiError {
  return new CloudflareApiError(400, [
    { code: CODES.COULD_NOT_ROUTE, message: `Could not route to ${path}, perhaps your object identifier is invalid?` },
    { code: CODES.NO_ROUTE, message: "No route for that URI" },
  ]);
}

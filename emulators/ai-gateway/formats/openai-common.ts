import type { Rejection, WireFormat } from "./format.ts";

/**
 * What the OpenAI Chat Completions and Responses APIs share: bearer auth and the
 * `{error:{message, type, param, code}}` error body.
 */

const DEFAULTS: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: "Invalid request.", type: "invalid_request_error", code: null },
  401: {
    message: "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
    type: "invalid_request_error",
    code: "invalid_api_key",
  },
  403: { message: "You are not allowed to sample from this model.", type: "invalid_request_error", code: null },
  404: { message: "The model does not exist or you do not have access to it.", type: "invalid_request_error", code: "model_not_found" },
  429: { message: "Rate limit reached for requests. Please try again later.", type: "requests", code: "rate_limit_exceeded" },
  500: { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", code: null },
  503: { message: "The server is overloaded or not ready yet.", type: "server_error", code: null },
};

export function openaiError(status: number, message?: string, param: string | null = null, code?: string | null): Rejection {
  const defaults = DEFAULTS[status] ?? (status >= 500 ? DEFAULTS[500]! : DEFAULTS[400]!);
  return {
    status,
    body: { error: { message: message ?? defaults.message, type: defaults.type, param, code: code === undefined ? defaults.code : code } },
  };
}

/** OpenAI's answer when no key is sent at all (the key is *missing*, so no code). */
export function requireBearer(headers: Headers): Rejection | undefined {
  if (/^Bearer\s+\S/i.test(headers.get("authorization") ?? "")) return undefined;
  return openaiError(
    401,
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
    null,
    null,
  );
}

/** OpenAI's documented-by-experience answer to a body that is not JSON. */
export function malformedJson(): Rejection {
  return openaiError(
    400,
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
    null,
    null,
  );
}

export function missingParameter(name: string): Rejection {
  return openaiError(400, `Missing required parameter: '${name}'.`, name, "missing_required_parameter");
}

/** Whole seconds, as OpenAI's `created` / `created_at` fields. */
export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The parts of a wire format that Chat Completions and Responses share. */
export const openaiWireBasics = {
  requestIdHeader: "x-request-id",
  checkHeaders: requireBearer,
  malformedJson,
  error: (status: number, message: string) => openaiError(status, message),
} satisfies Partial<WireFormat>;

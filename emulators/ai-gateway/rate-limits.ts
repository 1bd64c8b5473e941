import type { Provider, RateLimitWindow, RateLimitWindows } from "./types.ts";

/**
 * Rate-limit response headers as each provider sends them, on success and on 429:
 * - Anthropic (docs.anthropic.com/en/api/rate-limits): `anthropic-ratelimit-{requests,tokens,
 *   input-tokens,output-tokens}-{limit,remaining,reset}`, the reset an RFC 3339 time
 *   ("2025-08-21T12:40:59Z"), plus `retry-after` in seconds on a 429.
 * - OpenAI (platform.openai.com/docs/guides/rate-limits): `x-ratelimit-{limit,remaining,reset}-
 *   {requests,tokens}`, the reset a Go-style duration ("12ms", "1s", "6m0s").
 * - Workers AI sends none: its limits come back as error codes (3036, 3040) in the body.
 */

/** Which header family a route speaks: compat follows the provider named by its model (`openai/gpt-4o`). */
export function rateLimitFamily(provider: Provider, model: string): "anthropic" | "openai" | undefined {
  const upstream = provider === "compat" ? model.split("/")[0] : provider;
  return upstream === "anthropic" ? "anthropic" : upstream === "openai" ? "openai" : undefined;
}

/** The windows a 429 reports when the fault names none: the request window exhausted until the retry. */
export function exhaustedWindows(retryAfterSeconds: number, configured: RateLimitWindows | undefined): RateLimitWindows {
  const requests = configured?.requests ?? { limit: 50 };
  return { ...configured, requests: { ...requests, remaining: 0, resetSeconds: retryAfterSeconds } };
}

export function rateLimitHeaders(family: "anthropic" | "openai" | undefined, windows: RateLimitWindows, now = Date.now()): Record<string, string> {
  const headers: Record<string, string> = {};
  if (family === "anthropic") {
    const names: Array<[keyof RateLimitWindows, string]> = [
      ["requests", "requests"],
      ["tokens", "tokens"],
      ["inputTokens", "input-tokens"],
      ["outputTokens", "output-tokens"],
    ];
    for (const [key, name] of names) {
      const window = windows[key];
      if (window)
        Object.assign(
          headers,
          windowHeaders(
            window,
            (field) => `anthropic-ratelimit-${name}-${field}`,
            (seconds) => rfc3339(now, seconds),
          ),
        );
    }
  }
  if (family === "openai") {
    for (const key of ["requests", "tokens"] as const) {
      const window = windows[key];
      if (window)
        Object.assign(
          headers,
          windowHeaders(window, (field) => `x-ratelimit-${field}-${key}`, goDuration),
        );
    }
  }
  return headers;
}

function windowHeaders(window: RateLimitWindow, name: (field: string) => string, reset: (seconds: number) => string): Record<string, string> {
  return {
    [name("limit")]: String(window.limit),
    [name("remaining")]: String(window.remaining ?? window.limit),
    [name("reset")]: reset(window.resetSeconds ?? 60),
  };
}

/** Whole seconds, `Z` suffix, as Anthropic sends it: 2025-08-21T12:40:59Z. */
function rfc3339(now: number, seconds: number): string {
  return `${new Date(Math.ceil((now + seconds * 1000) / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Go's time.Duration formatting, which OpenAI's headers use: 12ms, 1s, 1.5s, 6m0s, 1h0m0s. */
export function goDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const rest = (ms % 60_000) / 1000;
  const secs = `${Number(rest.toFixed(3))}s`;
  if (hours) return `${hours}h${minutes}m${secs}`;
  if (minutes) return `${minutes}m${secs}`;
  return secs;
}

/**
 * OpenAI's 429 text, as its API words it: which model, which window, the numbers, when to retry.
 * e.g. "Rate limit reached for gpt-4o in organization org-… on requests per min (RPM): Limit 3, Used 3, Requested 1. …"
 */
export function openaiRateLimitMessage(model: string, limit: number, retryAfterSeconds: number): string {
  return (
    `Rate limit reached for ${model} in organization org-moltlab on requests per min (RPM): Limit ${limit}, Used ${limit}, Requested 1. ` +
    `Please try again in ${goDuration(retryAfterSeconds)}. Visit https://platform.openai.com/account/rate-limits to learn more.`
  );
}

import { createHash } from "node:crypto";

/**
 * AI Gateway's response cache, driven per request: `cf-aig-cache-ttl: <seconds>` makes a
 * response cacheable, `cf-aig-skip-cache: true` bypasses the cache (neither read nor written),
 * `cf-aig-cache-key` replaces the default key (route + body). Only complete 200 answers are stored.
 */
export interface CachePolicy {
  key: string;
  ttlSeconds: number;
}

export function cachePolicy(headers: Headers, route: string, body: string): CachePolicy | undefined {
  const ttlSeconds = Number(headers.get("cf-aig-cache-ttl") ?? headers.get("cf-cache-ttl"));
  const skip = (headers.get("cf-aig-skip-cache") ?? headers.get("cf-skip-cache")) === "true";
  if (skip || !(ttlSeconds > 0)) return undefined;
  const key = headers.get("cf-aig-cache-key") ?? createHash("sha256").update(`${route}\n${body}`).digest("hex");
  return { key, ttlSeconds };
}

export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  chunks: string[];
}

export class ResponseCache {
  #entries = new Map<string, { response: CachedResponse; expires: number }>();

  get(key: string): CachedResponse | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expires > Date.now()) return entry.response;
    this.#entries.delete(key);
    return undefined;
  }

  set(policy: CachePolicy, response: CachedResponse): void {
    this.#entries.set(policy.key, { response, expires: Date.now() + policy.ttlSeconds * 1000 });
  }

  clear(): void {
    this.#entries.clear();
  }
}

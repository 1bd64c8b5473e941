import { createHash } from "node:crypto";
import type { LoggedRequest, Provider } from "./types.ts";

/** Headers that carry credentials: they never reach the log in clear. */
const SECRET_HEADERS = new Set(["x-api-key", "authorization", "cf-aig-authorization", "proxy-authorization", "cookie", "api-key"]);

/**
 * A short, stable stand-in for a secret, so a test can check *which* key was sent
 * (`fingerprint("sk-test")`) without the log ever holding the key itself.
 */
export function fingerprint(secret: string): string {
  return `sha256:${createHash("sha256").update(secret).digest("hex").slice(0, 12)}`;
}

/** `Bearer sk-…` → `Bearer ***sha256:…`; other values → `***sha256:…`. */
export function maskSecret(value: string): string {
  const bearer = /^(Bearer|Basic)\s+(.*)$/i.exec(value);
  return bearer ? `${bearer[1]} ***${fingerprint(bearer[2]!)}` : `***${fingerprint(value)}`;
}

export function maskHeaders(headers: Headers): Record<string, string> {
  const masked: Record<string, string> = {};
  headers.forEach((value, name) => {
    masked[name] = SECRET_HEADERS.has(name) ? maskSecret(value) : value;
  });
  return masked;
}

export interface LogQuery {
  provider?: Provider;
  model?: string;
  /** Substring of the request path. */
  path?: string;
  /**
   * Whose entries: a scope id sees only the requests that carried it; without one, only unscoped
   * requests (so parallel scoped tests never show up in an unscoped test's log); `"*"` sees all.
   */
  scope?: string;
}

/** `scope: ALL_SCOPES` in a log query: every entry, scoped or not. */
export const ALL_SCOPES = "*";

/** The requests the gateway received, oldest first. */
export class RequestLog {
  #entries: LoggedRequest[] = [];
  #nextId = 1;

  /** Records a request now (so it shows even if the response never completes) and returns the live entry. */
  add(entry: Omit<LoggedRequest, "id">): LoggedRequest {
    const logged = { id: this.#nextId++, ...entry };
    this.#entries.push(logged);
    return logged;
  }

  all(query: LogQuery = {}): LoggedRequest[] {
    return this.#entries
      .filter(
        (entry) =>
          (query.provider === undefined || entry.provider === query.provider) &&
          (query.model === undefined || entry.model === query.model) &&
          (query.path === undefined || entry.path.includes(query.path)) &&
          (query.scope === ALL_SCOPES || entry.scope === query.scope),
      )
      .map((entry) => structuredClone(entry));
  }

  count(query: LogQuery = {}): number {
    return this.all(query).length;
  }

  last(query: LogQuery = {}): LoggedRequest | undefined {
    return this.all(query).at(-1);
  }

  /** Forgets every entry, or only a scope's. */
  clear(scope?: string): void {
    this.#entries = scope === undefined ? [] : this.#entries.filter((entry) => entry.scope !== scope);
  }
}

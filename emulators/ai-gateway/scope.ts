import { ResponseCache } from "./cache.ts";
import type { Turn } from "./conversation.ts";
import { FaultQueue } from "./faults.ts";
import { seededRandom } from "../../core/seeded-random.ts";

/** Seed used when none is given, so an unseeded run is still reproducible. */
export const DEFAULT_SEED = 1;
import { ScenarioBook } from "./scenarios.ts";
import type { GatewaySettings } from "./types.ts";

/**
 * Per-test scoping. A request carrying `x-moltlab-scope: <id>` sees its scope's scenarios
 * (then the gateway's), only its scope's faults, cache and settings, and lands in the log under
 * that scope; what one test installs under its scope never reaches another's requests, so tests
 * can share one emulator in parallel. Unscoped requests use the gateway's own (unscoped) state.
 */
export const SCOPE_HEADER = "x-moltlab-scope";

const SCOPE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/** Checks a scope id (from a header, a query or an API call); throws a message fit for a 400. */
export function checkScopeId(value: string, where = SCOPE_HEADER): string {
  if (!SCOPE_ID.test(value)) {
    throw new Error(
      `${where} must be 1-128 characters of letters, digits and . _ : / -, starting with a letter or digit (got ${JSON.stringify(value.slice(0, 40))})`,
    );
  }
  return value;
}

/** The scope a request names; undefined when it names none. Throws on a malformed id. */
export function scopeOf(headers: Headers): string | undefined {
  const raw = headers.get(SCOPE_HEADER)?.trim();
  return raw ? checkScopeId(raw) : undefined;
}

/** Everything that belongs to one scope (or to the gateway itself, for unscoped requests). */
export class ScopeState {
  readonly scenarios = new ScenarioBook();
  readonly faults = new FaultQueue();
  readonly cache = new ResponseCache();
  /** Responses API: the turns behind each response id, so `previous_response_id` continues a conversation. */
  readonly conversations = new Map<string, Turn[]>();
  settings: GatewaySettings = {};
  /** Arrival times of requests, for the gateway's own rate limiting. */
  arrivals: number[] = [];
  #random: (() => number) | undefined;
  #serial = 0;
  #lifetime = new AbortController();

  /** The scope's generator, seeded on first use from `seed` (the scope's, else the gateway's). */
  random(fallbackSeed: number | undefined): () => number {
    this.#random ??= seededRandom(this.settings.seed ?? fallbackSeed ?? DEFAULT_SEED).next;
    return this.#random;
  }

  /** Merges settings; a new seed restarts the generator. */
  configure(settings: GatewaySettings): void {
    this.settings = { ...this.settings, ...settings };
    if (settings.seed !== undefined) this.#random = undefined;
  }

  /** Deterministic ids, e.g. `msg_moltlab000001`: the same script gives the same ids after a reset, whatever other scopes do. */
  id(prefix: string): string {
    return `${prefix}moltlab${String(++this.#serial).padStart(6, "0")}`;
  }

  /** Aborts when this scope is reset or the gateway closes: delays and stalls listen to it. */
  get signal(): AbortSignal {
    return this.#lifetime.signal;
  }

  /** Back to empty: no scenarios, faults, cache, settings; the generator and ids restart; stalls end. */
  clear(settings: GatewaySettings = {}): void {
    this.scenarios.load([]);
    this.faults.clear();
    this.cache.clear();
    this.conversations.clear();
    this.settings = { ...settings };
    this.arrivals = [];
    this.#random = undefined;
    this.#serial = 0;
    this.#lifetime.abort();
    this.#lifetime = new AbortController();
  }

  close(): void {
    this.#lifetime.abort();
  }
}

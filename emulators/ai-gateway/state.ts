import { ResponseCache } from "./cache.ts";
import type { Turn } from "./conversation.ts";
import { FaultQueue } from "./faults.ts";
import { RequestLog } from "./request-log.ts";
import { ScenarioBook } from "./scenarios.ts";
import type { FaultRule, Scenario } from "./types.ts";

export interface AiGatewayOptions {
  /**
   * Makes the gateway authenticated: every request needs `cf-aig-authorization: Bearer <authToken>`.
   * Undefined: an unauthenticated gateway (the header is ignored).
   */
  authToken?: string;
  /** Loaded at start, and again by `reset()`. */
  scenarios?: Scenario[];
}

/**
 * Everything the handlers read and tests steer: scenarios, queued faults, the request log and
 * the response cache. One object shared by the in-process handlers and the HTTP server.
 */
export class AiGatewayState {
  readonly log = new RequestLog();
  readonly scenarios = new ScenarioBook();
  readonly faults = new FaultQueue();
  readonly cache = new ResponseCache();
  authToken: string | undefined;
  /** Responses API: the turns behind each response id, so `previous_response_id` continues a conversation. */
  readonly conversations = new Map<string, Turn[]>();
  readonly #initialScenarios: Scenario[];
  #serial = 0;
  #lifetime = new AbortController();

  constructor(options: AiGatewayOptions = {}) {
    this.authToken = options.authToken;
    this.#initialScenarios = options.scenarios ?? [];
    this.scenarios.load(this.#initialScenarios);
  }

  /** Replaces the scenarios. */
  load(scenarios: Scenario[]): void {
    this.scenarios.load(scenarios);
  }

  inject(fault: FaultRule): void {
    this.faults.inject(fault);
  }

  /** Back to the state at start: start-up scenarios, no faults, empty log and cache; stalled streams end. */
  reset(): void {
    this.scenarios.load(this.#initialScenarios);
    this.faults.clear();
    this.log.clear();
    this.cache.clear();
    this.conversations.clear();
    this.#serial = 0;
    this.#lifetime.abort();
    this.#lifetime = new AbortController();
  }

  /** Aborts on reset or close: pending delays and stalls listen to it so nothing outlives a test. */
  get signal(): AbortSignal {
    return this.#lifetime.signal;
  }

  close(): void {
    this.#lifetime.abort();
  }

  /** Deterministic ids, e.g. `msg_moltlab000001`: the same script gives the same ids after a reset. */
  id(prefix: string): string {
    return `${prefix}moltlab${String(++this.#serial).padStart(6, "0")}`;
  }
}

export function createAiGatewayState(options: AiGatewayOptions = {}): AiGatewayState {
  return new AiGatewayState(options);
}

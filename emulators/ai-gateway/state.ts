import { checkFaultRule, strikes } from "./faults.ts";
import type { MatchTarget } from "./matching.ts";
import { RequestLog } from "./request-log.ts";
import type { Decision } from "./scenarios.ts";
import { checkScopeId, ScopeState } from "./scope.ts";
import { parseSettings } from "./settings.ts";
import type { Fault, FaultRule, GatewaySettings, Scenario } from "./types.ts";

export interface AiGatewayOptions extends GatewaySettings {
  /**
   * Makes the gateway authenticated: every request needs `cf-aig-authorization: Bearer <authToken>`.
   * Undefined: an unauthenticated gateway (the header is ignored).
   */
  authToken?: string;
  /** Loaded at start, and again by `reset()`. */
  scenarios?: Scenario[];
}

/**
 * Everything the handlers read and tests steer: scenarios, queued faults, settings, the request
 * log and the response cache, for the gateway and for each scope (see scope.ts). One object
 * shared by the in-process handlers and the HTTP server. Every steering method takes an optional
 * scope id; without one it acts on the gateway's own (unscoped) state, as before scopes existed.
 */
export class AiGatewayState {
  readonly log = new RequestLog();
  authToken: string | undefined;
  readonly #gateway = new ScopeState();
  readonly #scopes = new Map<string, ScopeState>();
  readonly #initialScenarios: Scenario[];
  readonly #initialSettings: GatewaySettings;
  #lifetime = new AbortController();

  constructor(options: AiGatewayOptions = {}) {
    const { authToken, scenarios, ...settings } = options;
    this.authToken = authToken;
    this.#initialScenarios = scenarios ?? [];
    this.#initialSettings = parseSettings(settings, "options");
    this.#gateway.configure(this.#initialSettings);
    this.#gateway.scenarios.load(this.#initialScenarios);
  }

  /** The gateway's unscoped scenarios (what `load()` without a scope replaces). */
  get scenarios() {
    return this.#gateway.scenarios;
  }

  /** The gateway's unscoped fault queue. */
  get faults() {
    return this.#gateway.faults;
  }

  /** A scope's state, created on first use; the gateway's own without an id. */
  scope(id?: string): ScopeState {
    if (id === undefined) return this.#gateway;
    let scope = this.#scopes.get(id);
    if (!scope) {
      scope = new ScopeState();
      this.#scopes.set(checkScopeId(id, "scope"), scope);
    }
    return scope;
  }

  /** Replaces the scenarios of the gateway, or of one scope. */
  load(scenarios: Scenario[], scope?: string): void {
    this.scope(scope).scenarios.load(scenarios);
  }

  inject(fault: FaultRule, scope?: string): void {
    checkFaultRule(fault);
    this.scope(scope).faults.inject(fault);
  }

  /** Merges settings into the gateway's, or a scope's (which override the gateway's field by field). */
  configure(settings: GatewaySettings, scope?: string): void {
    this.scope(scope).configure(parseSettings(settings));
  }

  /** What applies to a request in this scope: the gateway's settings under the scope's. */
  settings(scope?: string): GatewaySettings {
    return scope === undefined ? { ...this.#gateway.settings } : { ...this.#gateway.settings, ...this.#scopes.get(scope)?.settings };
  }

  /** The seeded generator behind fault probabilities; each scope draws from its own, so parallel tests do not shift each other's sequence. */
  random(scope?: string): () => number {
    return this.scope(scope).random(this.#gateway.settings.seed);
  }

  /** The scope's scenarios first, then the gateway's; undefined when none matches. */
  decide(target: MatchTarget & { assistantTurns: number }, scope?: string): Decision | undefined {
    return (scope === undefined ? undefined : this.#scopes.get(scope)?.scenarios.find(target)) ?? this.#gateway.scenarios.find(target);
  }

  /** The next queued fault that strikes: a scoped request only takes its own scope's faults. */
  takeFault(target: MatchTarget, scope?: string): Fault | undefined {
    return this.scope(scope).faults.take(target, this.random(scope));
  }

  /** Whether a fault from a scenario or a header strikes this request (see `strikes`). */
  strikes(fault: Fault, scope?: string): boolean {
    return strikes(fault, this.random(scope));
  }

  /**
   * Without a scope: back to the state at start (start-up scenarios and settings, no faults,
   * empty log and cache, no scopes; stalled streams end). With one: that scope is forgotten, its
   * log entries too, and only its stalls end.
   */
  reset(scope?: string): void {
    if (scope !== undefined) {
      this.#scopes.get(scope)?.close();
      this.#scopes.delete(scope);
      this.log.clear(scope);
      return;
    }
    for (const state of this.#scopes.values()) state.close();
    this.#scopes.clear();
    this.#gateway.clear(this.#initialSettings);
    this.#gateway.scenarios.load(this.#initialScenarios);
    this.log.clear();
    this.#lifetime.abort();
    this.#lifetime = new AbortController();
  }

  /** Aborts on reset or close: pending delays and stalls listen to it so nothing outlives a test. */
  get signal(): AbortSignal {
    return this.#lifetime.signal;
  }

  close(): void {
    this.#lifetime.abort();
    this.#gateway.close();
    for (const state of this.#scopes.values()) state.close();
  }

  /** Deterministic ids of the gateway's unscoped requests, e.g. `msg_moltlab000001`. */
  id(prefix: string): string {
    return this.#gateway.id(prefix);
  }
}

export function createAiGatewayState(options: AiGatewayOptions = {}): AiGatewayState {
  return new AiGatewayState(options);
}

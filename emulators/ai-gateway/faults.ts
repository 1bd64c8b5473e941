import { GATEWAY_ERROR_NAMES } from "./gateway-errors.ts";
import { checkMatch, matches, type MatchTarget } from "./matching.ts";
import { parseWith, rateLimitWindowsSchema } from "./settings.ts";
import type { Fault, FaultRule } from "./types.ts";

/** Request header naming a fault for that one request (JSON, as in `POST /__moltlab/faults`). */
export const FAULT_HEADER = "x-moltlab-fault";

const KINDS = ["status", "gateway-error", "slow-first-byte", "slow", "stall", "cut", "malformed", "reset"];

const isMs = (value: unknown) => typeof value === "number" && value >= 0 && value <= 600_000;

/** Validates a fault received as JSON; throws a message fit for a 400. */
export function checkFault(value: unknown, where = "fault"): asserts value is Fault {
  if (typeof value !== "object" || value === null) throw new Error(`${where} must be an object`);
  const fault = value as Record<string, unknown>;
  if (typeof fault.kind !== "string" || !KINDS.includes(fault.kind)) throw new Error(`${where}.kind must be one of ${KINDS.join(", ")}`);
  if (fault.kind === "status" && (!Number.isInteger(fault.status) || (fault.status as number) < 400 || (fault.status as number) > 599)) {
    throw new Error(`${where}.status must be an HTTP error status (400-599)`);
  }
  if (fault.retryAfter !== undefined && !(typeof fault.retryAfter === "number" && fault.retryAfter >= 0))
    throw new Error(`${where}.retryAfter must be a number of seconds ≥ 0`);
  if (fault.rateLimit !== undefined) parseWith(rateLimitWindowsSchema, fault.rateLimit, `${where}.rateLimit`);
  if (fault.kind === "gateway-error" && !GATEWAY_ERROR_NAMES.includes(fault.error as never)) {
    throw new Error(`${where}.error must be one of ${GATEWAY_ERROR_NAMES.join(", ")}`);
  }
  if (fault.kind === "slow-first-byte" && !(typeof fault.delayMs === "number" && fault.delayMs >= 0)) throw new Error(`${where}.delayMs must be a number ≥ 0`);
  for (const field of ["latencyMs", "chunkIntervalMs"]) {
    if (fault[field] === undefined) continue;
    if (fault.kind !== "slow") throw new Error(`${where}.${field} belongs to a "slow" fault (or to a scenario, or the settings), not to a ${fault.kind} fault`);
    if (!isMs(fault[field])) throw new Error(`${where}.${field} must be a number of milliseconds from 0 to 600000`);
  }
  if (fault.kind === "slow" && fault.latencyMs === undefined && fault.chunkIntervalMs === undefined) {
    throw new Error(`${where} (slow) needs latencyMs, chunkIntervalMs or both`);
  }
  if (fault.afterChunks !== undefined && !(Number.isInteger(fault.afterChunks) && (fault.afterChunks as number) >= 0)) {
    throw new Error(`${where}.afterChunks must be an integer ≥ 0`);
  }
  if (fault.probability !== undefined && !(typeof fault.probability === "number" && fault.probability >= 0 && fault.probability <= 1)) {
    throw new Error(`${where}.probability must be a number from 0 to 1`);
  }
}

export function checkFaultRule(value: unknown, where = "fault"): asserts value is FaultRule {
  checkFault(value, where);
  const { times, match } = value as FaultRule;
  if (times !== undefined && times !== "always" && !(Number.isInteger(times) && times > 0))
    throw new Error(`${where}.times must be a positive integer or "always"`);
  checkMatch(match, where);
}

/**
 * Whether a fault strikes this request: always without `probability`, otherwise a draw from the
 * seeded generator. Only faults with a probability draw, so adding one does not shift the others.
 */
export function strikes(fault: Fault, random: () => number): boolean {
  return fault.probability === undefined || random() < fault.probability;
}

/** The fault a request asks for itself, if any. A bad header is the caller's bug: it throws. */
export function faultFromHeader(headers: Headers): Fault | undefined {
  const raw = headers.get(FAULT_HEADER);
  if (!raw) return undefined;
  const fault: unknown = JSON.parse(raw);
  checkFault(fault, FAULT_HEADER);
  return fault;
}

/** Faults queued by `inject`, consumed first-in first-out by matching requests. */
export class FaultQueue {
  #rules: Array<{ rule: FaultRule; left: number }> = [];

  inject(rule: FaultRule): void {
    checkFaultRule(rule);
    this.#rules.push({ rule: structuredClone(rule), left: rule.times === "always" ? Infinity : (rule.times ?? 1) });
  }

  /**
   * The first matching rule that strikes. A rule whose draw misses is not used up: the request
   * goes on to the next matching rule, or gets no queued fault.
   */
  take(target: MatchTarget, random: () => number): Fault | undefined {
    for (const [index, entry] of this.#rules.entries()) {
      if (!matches(entry.rule.match, target) || !strikes(entry.rule, random)) continue;
      if (--entry.left <= 0) this.#rules.splice(index, 1);
      const { times: _times, match: _match, ...fault } = entry.rule;
      return fault as Fault;
    }
    return undefined;
  }

  pending(): number {
    return this.#rules.length;
  }

  clear(): void {
    this.#rules = [];
  }
}

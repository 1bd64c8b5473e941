import { checkMatch, matches, type MatchTarget } from "./matching.ts";
import type { Fault, FaultRule } from "./types.ts";

/** Request header naming a fault for that one request (JSON, as in `POST /__moltlab/faults`). */
export const FAULT_HEADER = "x-moltlab-fault";

const KINDS = ["status", "slow-first-byte", "stall", "cut", "malformed", "reset"];

/** Validates a fault received as JSON; throws a message fit for a 400. */
export function checkFault(value: unknown, where = "fault"): asserts value is Fault {
  if (typeof value !== "object" || value === null) throw new Error(`${where} must be an object`);
  const fault = value as Record<string, unknown>;
  if (typeof fault.kind !== "string" || !KINDS.includes(fault.kind)) throw new Error(`${where}.kind must be one of ${KINDS.join(", ")}`);
  if (fault.kind === "status" && (!Number.isInteger(fault.status) || (fault.status as number) < 400 || (fault.status as number) > 599)) {
    throw new Error(`${where}.status must be an HTTP error status (400-599)`);
  }
  if (fault.kind === "slow-first-byte" && !(typeof fault.delayMs === "number" && fault.delayMs >= 0)) throw new Error(`${where}.delayMs must be a number ≥ 0`);
  if (fault.afterChunks !== undefined && !(Number.isInteger(fault.afterChunks) && (fault.afterChunks as number) >= 0)) {
    throw new Error(`${where}.afterChunks must be an integer ≥ 0`);
  }
}

export function checkFaultRule(value: unknown, where = "fault"): asserts value is FaultRule {
  checkFault(value, where);
  const { times, match } = value as FaultRule;
  if (times !== undefined && times !== "always" && !(Number.isInteger(times) && times > 0))
    throw new Error(`${where}.times must be a positive integer or "always"`);
  checkMatch(match, where);
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

  take(target: MatchTarget): Fault | undefined {
    const index = this.#rules.findIndex(({ rule }) => matches(rule.match, target));
    if (index < 0) return undefined;
    const entry = this.#rules[index]!;
    if (--entry.left <= 0) this.#rules.splice(index, 1);
    const { times: _times, match: _match, ...fault } = entry.rule;
    return fault as Fault;
  }

  pending(): number {
    return this.#rules.length;
  }

  clear(): void {
    this.#rules = [];
  }
}

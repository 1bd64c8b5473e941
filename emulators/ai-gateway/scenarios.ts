import { latestUserTexts } from "./conversation.ts";
import { checkFault } from "./faults.ts";
import { checkMatch, matches, type MatchTarget } from "./matching.ts";
import type { Fault, Reply, Scenario } from "./types.ts";

/** What a request gets from the script: a reply, maybe a fault, and the scenario's name for the log. */
export interface Decision {
  reply: Reply;
  fault?: Fault;
  scenario?: string;
  latencyMs?: number;
  chunkIntervalMs?: number;
}

/** Obviously fake, so a fake answer can never be mistaken for a model's. */
export function defaultReply(target: Pick<MatchTarget, "turns">): Reply {
  // The first of the latest user texts is the person's; a client's own additions come after it.
  const said = (latestUserTexts(target.turns)[0] ?? "").replace(/\s+/g, " ").trim();
  return { text: `[moltlab fake] You said: ${said.length > 200 ? `${said.slice(0, 200)}…` : said || "(nothing)"}` };
}

/** The loaded scenarios; the first match wins, no match gets the default reply. */
export class ScenarioBook {
  #scenarios: Scenario[] = [];

  load(scenarios: Scenario[]): void {
    for (const [i, scenario] of scenarios.entries()) checkScenario(scenario, `scenarios[${i}]`);
    this.#scenarios = structuredClone(scenarios);
  }

  list(): Scenario[] {
    return structuredClone(this.#scenarios);
  }

  /** The first matching scenario's decision; undefined when none matches. */
  find(target: MatchTarget & { assistantTurns: number }): Decision | undefined {
    const scenario = this.#scenarios.find((candidate) => matches(candidate.match, target));
    if (!scenario) return undefined;
    const turns = scenario.turns ?? [];
    const reply = turns.length ? turns[Math.min(target.assistantTurns, turns.length - 1)]! : (scenario.reply ?? defaultReply(target));
    return {
      reply,
      ...(scenario.fault ? { fault: scenario.fault } : {}),
      ...(scenario.name ? { scenario: scenario.name } : {}),
      ...(scenario.latencyMs !== undefined ? { latencyMs: scenario.latencyMs } : {}),
      ...(scenario.chunkIntervalMs !== undefined ? { chunkIntervalMs: scenario.chunkIntervalMs } : {}),
    };
  }

  decide(target: MatchTarget & { assistantTurns: number }): Decision {
    return this.find(target) ?? { reply: defaultReply(target) };
  }
}

function checkReply(reply: unknown, where: string): void {
  if (typeof reply !== "object" || reply === null) throw new Error(`${where} must be an object`);
  const { text, toolCalls } = reply as Reply;
  if (text !== undefined && typeof text !== "string") throw new Error(`${where}.text must be a string`);
  if (toolCalls !== undefined) {
    if (!Array.isArray(toolCalls)) throw new Error(`${where}.toolCalls must be an array`);
    toolCalls.forEach((call, i) => {
      if (typeof call?.name !== "string" || typeof call.input !== "object" || call.input === null) {
        throw new Error(`${where}.toolCalls[${i}] needs a name and an input object`);
      }
    });
  }
}

/** Validates a scenario received as JSON; throws a message fit for a 400. */
export function checkScenario(scenario: unknown, where = "scenario"): void {
  if (typeof scenario !== "object" || scenario === null || Array.isArray(scenario)) throw new Error(`${where} must be an object`);
  const { match, reply, turns, fault } = scenario as Scenario;
  checkMatch(match, where);
  for (const field of ["latencyMs", "chunkIntervalMs"] as const) {
    const value = (scenario as Scenario)[field];
    if (value !== undefined && !(typeof value === "number" && value >= 0 && value <= 600_000)) {
      throw new Error(`${where}.${field} must be a number of milliseconds from 0 to 600000`);
    }
  }
  if (reply !== undefined) checkReply(reply, `${where}.reply`);
  if (turns !== undefined) {
    if (!Array.isArray(turns) || turns.length === 0) throw new Error(`${where}.turns must be a non-empty array`);
    for (const [i, turn] of turns.entries()) checkReply(turn, `${where}.turns[${i}]`);
  }
  if (fault !== undefined) checkFault(fault, `${where}.fault`);
  if (reply === undefined && turns === undefined && fault === undefined) throw new Error(`${where} needs a reply, turns or a fault`);
}

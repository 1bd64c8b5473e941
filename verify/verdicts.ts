/**
 * The verdict rules, as pure functions: each turns measured facts into OK / OK with
 * constraints / NG / unverified, and says which of the plan's stop criteria it hits.
 * Thresholds are the plan's own (phase0.md); nothing here is tuned to this machine.
 */
import type { StopHit, Verdict } from "./types.ts";

export const STOP_CRITERIA = {
  chat: "basic OpenClaw operation (chat + tool execution) fails in the sandbox",
  amd64: "no amd64 build without excessive effort",
  tools: "most custom tools impossible to port",
  cost: "cost above the budget",
  latency: "Worker-proxied latency above 3x of direct access",
} as const;

/** Phase 2: at least 80% of the custom tools work in the container. */
export const TOOLS_PASS_SHARE = 0.8;
/** Phase 2 latency: within 2x of the current setup is the goal, 3x is the stop. */
export const LATENCY_GOAL_RATIO = 2;
export const LATENCY_STOP_RATIO = 3;

/**
 * How one custom tool fared on the architecture that counts (amd64, what Cloudflare runs):
 * - works: installed and did its job;
 * - failed: installed, and its check failed (a real incompatibility until shown otherwise);
 * - blocked: could not be installed on *this machine* (its download is unreachable from
 *   here), which says nothing about the container — unverifiable, not impossible;
 * - impossible: could not be installed for a reason that would hold anywhere;
 * - unknown: no evidence (not in the image, not built).
 */
export type ToolState = "works" | "failed" | "blocked" | "impossible" | "unknown";

/** Reasons that describe this machine's network rather than the tool: a 403 from the module proxy, an unresolvable host. */
const MACHINE_BOUND = /not reachable|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|does not serve|403 Forbidden|no registry|cannot be pulled|network/i;

export function toolStateFrom(status: "ok" | "failed" | "not installed" | undefined, evidence = ""): ToolState {
  if (status === "ok") return "works";
  if (status === "failed") return "failed";
  if (status === "not installed") return MACHINE_BOUND.test(evidence) ? "blocked" : "impossible";
  return "unknown";
}

export interface ToolsJudgement {
  verdict: Verdict;
  working: number;
  total: number;
  /** working / total, 0–1. */
  share: number;
  stop?: StopHit;
  why: string;
}

/**
 * Phase 0-2 / 2-1. OK: at least 80% work and none failed. NG: over half failed or
 * impossible (the stop criterion), or fewer than 80% can work even if every unverifiable
 * tool turned out fine. unverified: 80% is reachable only with the tools this machine
 * could not fetch. A tool that works only partly (e.g. the docker CLI with no engine)
 * makes an OK "OK with constraints".
 */
export function judgeTools(states: Readonly<Record<string, ToolState>>, constrained: readonly string[] = []): ToolsJudgement {
  const names = Object.keys(states);
  const total = names.length;
  const count = (state: ToolState) => names.filter((name) => states[name] === state).length;
  const working = count("works");
  const broken = count("failed") + count("impossible");
  const open = count("blocked") + count("unknown");
  const share = total ? working / total : 0;
  const pct = (n: number) => `${Math.round((n / Math.max(total, 1)) * 100)}%`;
  if (total === 0) return { verdict: "unverified", working, total, share, why: "no custom tools to judge" };
  if (broken / total > 0.5) {
    return {
      verdict: "NG",
      working,
      total,
      share,
      why: `${broken} of ${total} tools failed or cannot be installed (${pct(broken)})`,
      stop: { criterion: STOP_CRITERIA.tools, detail: `${broken} of ${total} custom tools failed or cannot be installed` },
    };
  }
  if (share >= TOOLS_PASS_SHARE && broken === 0) {
    const limited = constrained.filter((name) => states[name] === "works");
    return {
      verdict: limited.length || open ? "OK with constraints" : "OK",
      working,
      total,
      share,
      why: `${working} of ${total} work (${pct(working)} ≥ 80%)${limited.length ? `; with limits: ${limited.join(", ")}` : ""}${open ? `; ${open} not verified here` : ""}`,
    };
  }
  if ((working + open) / total >= TOOLS_PASS_SHARE) {
    const parts = [
      count("blocked") ? `${count("blocked")} could not be fetched on this machine` : "",
      count("unknown") ? `${count("unknown")} have no evidence` : "",
    ].filter(Boolean);
    return { verdict: "unverified", working, total, share, why: `${working} of ${total} work (${pct(working)}); ${parts.join(", ")}, so the 80% line is open` };
  }
  return { verdict: "NG", working, total, share, why: `${working} of ${total} work (${pct(working)} < 80%) and ${broken} failed or cannot be installed` };
}

export interface LatencyJudgement {
  verdict: Verdict;
  stop?: StopHit;
  why: string;
}

/** Phase 2 latency: ratio = Worker-proxied median / direct median. */
export function judgeLatency(ratio: number): LatencyJudgement {
  const text = `Worker/direct = ${ratio.toFixed(2)}x`;
  if (!Number.isFinite(ratio) || ratio <= 0) return { verdict: "unverified", why: `no usable ratio (${ratio})` };
  if (ratio <= LATENCY_GOAL_RATIO) return { verdict: "OK", why: `${text} (goal ≤ ${LATENCY_GOAL_RATIO}x)` };
  if (ratio <= LATENCY_STOP_RATIO)
    return { verdict: "OK with constraints", why: `${text}: above the ${LATENCY_GOAL_RATIO}x goal, within the ${LATENCY_STOP_RATIO}x stop line` };
  return { verdict: "NG", why: `${text} > ${LATENCY_STOP_RATIO}x`, stop: { criterion: STOP_CRITERIA.latency, detail: text } };
}

export interface CostJudgement {
  verdict: Verdict;
  stop?: StopHit;
  why: string;
}

/**
 * Cost: the line for the hours the user asked about decides. Within budget: OK — "with
 * constraints" when it fits only because the container sleeps (sleepAfter set, so channels
 * such as Discord are offline while it sleeps). Above: NG and the stop criterion, with the
 * part-time line named when that one would fit.
 */
export function judgeCost(
  asked: { label: string; usd: number; sleeps: boolean },
  partTime: { label: string; usd: number } | null,
  budget: number,
): CostJudgement {
  const money = (usd: number) => `$${usd.toFixed(2)}`;
  if (asked.usd <= budget) {
    return {
      verdict: asked.sleeps ? "OK with constraints" : "OK",
      why: `${asked.label}: ${money(asked.usd)}/month ≤ budget ${money(budget)}${asked.sleeps ? " (only while the container sleeps outside those hours)" : ""}`,
    };
  }
  const way = partTime && partTime.usd <= budget ? `; ${partTime.label} would cost ${money(partTime.usd)}` : "";
  return {
    verdict: "NG",
    why: `${asked.label}: ${money(asked.usd)}/month > budget ${money(budget)}${way}`,
    stop: { criterion: STOP_CRITERIA.cost, detail: `${asked.label}: ${money(asked.usd)}/month against a budget of ${money(budget)}` },
  };
}

/** Verify's exit status: 1 when any stop criterion is hit. Unverified items never fail it. */
export function exitCodeFor(stops: readonly StopHit[]): number {
  return stops.length ? 1 : 0;
}

/** Verdicts in the order a reader should worry about them. */
export function verdictRank(verdict: Verdict): number {
  return { NG: 0, unverified: 1, "OK with constraints": 2, OK: 3 }[verdict];
}

/**
 * Cost: Cloudflare's published prices × the instance type × the hours the container runs,
 * against the budget; checked against moltworker's own 24/7 estimate on standard-1.
 */
import { INSTANCE_TYPES } from "../../contract/instance-types.ts";
import { costWithoutAllowances, monthlyCost, type CostBreakdown } from "../cost/model.ts";
import { MOLTWORKER_ESTIMATE, PRICES } from "../cost/prices.ts";
import { REALISTIC_ACTIVE_HOURS } from "../options.ts";
import type { Judgement, VerifyContext } from "../types.ts";
import { judgeCost } from "../verdicts.ts";

export const usd = (value: number) => `$${value.toFixed(2)}`;
/** A per-unit rate as printed on the price sheet: 0.00000007, never 7e-8. */
const rate = (value: number) => `$${value.toFixed(10).replace(/0+$/, "").replace(/\.$/, "")}`;

function label(breakdown: CostBreakdown): string {
  const { input } = breakdown;
  const sleep = input.sleepAfterMinutes === null ? "sleepAfter never" : `sleepAfter ${input.sleepAfterMinutes} min`;
  return breakdown.runningHoursPerDay >= 24 && input.activeHoursPerDay >= 24
    ? `${input.instanceType} 24/7`
    : `${input.instanceType}, ${input.activeHoursPerDay} h/day in use, ${sleep} → runs ${breakdown.runningHoursPerDay.toFixed(1)} h/day`;
}

/**
 * The average CPU share (0–1) at which a cost line reaches the budget: null when it is over
 * even idle, 1 when a fully busy vCPU stays within. Cost only rises with the share, so bisect.
 */
export function cpuShareAtBudget(costAt: (cpuShare: number) => number, budget: number): number | null {
  if (costAt(0) > budget) return null;
  if (costAt(1) <= budget) return 1;
  let [low, high] = [0, 1];
  for (let step = 0; step < 30; step++) {
    const middle = (low + high) / 2;
    if (costAt(middle) > budget) high = middle;
    else low = middle;
  }
  return low;
}

export function judgeCostItem(ctx: VerifyContext): Judgement {
  const { options } = ctx;
  const common = { instanceType: options.instanceType, cpuUtilisation: options.cpuUtilisation };
  // The asked-for line: 24 h means always on (no sleep); fewer hours only pay off with a sleepAfter.
  const asked = monthlyCost(
    { ...common, activeHoursPerDay: options.activeHours, sleepAfterMinutes: options.activeHours >= 24 ? null : options.sleepAfterMinutes },
    PRICES,
  );
  const partTime =
    options.activeHours === REALISTIC_ACTIVE_HOURS
      ? null
      : monthlyCost({ ...common, activeHoursPerDay: REALISTIC_ACTIVE_HOURS, sleepAfterMinutes: options.sleepAfterMinutes }, PRICES);
  const reference = monthlyCost({ instanceType: "standard-1", activeHoursPerDay: 24, sleepAfterMinutes: null, cpuUtilisation: 0.1 }, PRICES);
  const referenceGross = costWithoutAllowances(reference.input, PRICES);
  const judgement = judgeCost(
    { label: label(asked), usd: asked.totalUsd, sleeps: asked.runningHoursPerDay < 24 },
    partTime && { label: label(partTime), usd: partTime.totalUsd },
    options.budget,
  );
  const size = INSTANCE_TYPES[options.instanceType];
  const lines = [asked, ...(partTime ? [partTime] : [])];
  const lineOf = (breakdown: CostBreakdown, name: string) => breakdown.lines.find((line) => line.name.startsWith(name))!.usd;
  const referenceDiff = reference.totalUsd - MOLTWORKER_ESTIMATE.totalUsd;
  const breakEvenCpu = cpuShareAtBudget((cpuUtilisation) => monthlyCost({ ...asked.input, cpuUtilisation }, PRICES).totalUsd, options.budget);
  return {
    verdict: judgement.verdict,
    summary: `computed from published prices: ${judgement.why}${partTime ? `; ${REALISTIC_ACTIVE_HOURS} h/day: ${usd(partTime.totalUsd)}` : ""}`,
    evidence: [
      `Computed, not measured: Cloudflare's published prices read ${PRICES.readOn} × ${options.instanceType} (${size.vcpu} vCPU, ${size.memoryMiB / 1024} GiB, ${size.diskGB} GB disk) × running hours, CPU at ${Math.round(options.cpuUtilisation * 100)}% of the vCPU, a month of 730 h.`,
      `Prices: Workers Paid $${PRICES.workersPaidUsdPerMonth}/month; memory ${rate(PRICES.containers.memoryUsdPerGiBSecond)}/GiB-s, CPU ${rate(PRICES.containers.vcpuUsdPerVcpuSecond)}/vCPU-s of active use, disk ${rate(PRICES.containers.diskUsdPerGBSecond)}/GB-s; included monthly: ${PRICES.containers.included.memoryGiBHours} GiB-h, ${PRICES.containers.included.vcpuMinutes} vCPU-min, ${PRICES.containers.included.diskGBHours} GB-h; Durable Object duration ${PRICES.durableObjects.includedGBSeconds.toLocaleString("en-US")} GB-s included, then $${PRICES.durableObjects.usdPerMillionGBSeconds}/million GB-s.`,
      ...lines.map(
        (breakdown) =>
          `${label(breakdown)}: ${usd(breakdown.totalUsd)}/month (memory ${usd(lineOf(breakdown, "Container memory"))}, CPU ${usd(lineOf(breakdown, "Container CPU"))}, disk ${usd(lineOf(breakdown, "Container disk"))}, Durable Object ${usd(lineOf(breakdown, "Durable Object"))}, plan ${usd(lineOf(breakdown, "Workers Paid"))}).`,
      ),
      `Check against moltworker's estimate (${MOLTWORKER_ESTIMATE.assumptions}): ${usd(MOLTWORKER_ESTIMATE.totalUsd)} = $5 + memory ~$26 + CPU ~$2 + disk ~$1.50. This model gives ${usd(reference.totalUsd)} (memory ${usd(lineOf(reference, "Container memory"))}, CPU ${usd(lineOf(reference, "Container CPU"))}, disk ${usd(lineOf(reference, "Container disk"))}): ${referenceDiff >= 0 ? "+" : "−"}${usd(Math.abs(referenceDiff))}, because moltworker rounds each line to a whole or half dollar; with no included allowances it would be ${usd(referenceGross)}.`,
      "moltworker's default (and this Worker's) is SANDBOX_SLEEP_AFTER=never: the container then runs — and is billed — 24/7 however little it is used. The part-time line needs SANDBOX_SLEEP_AFTER set, and while the container sleeps its channels (Discord, Telegram) are offline until the next request through the Worker wakes it.",
      "Not in the total: R2 (free up to 10 GB-month stored and 1M writes; backups upload only changed files), AI Gateway (free; model calls are billed by the providers), Worker requests (10M included), egress (1 TB included in North America and Europe).",
    ],
    wouldChange: [
      `a smaller instance type (--instance-type), fewer running hours (SANDBOX_SLEEP_AFTER), or a different CPU share (--cpu-percent) — each is an option of verify`,
      "Cloudflare changing its Containers prices (update verify/cost/prices.ts with the date and source)",
      `the CPU share measured on Cloudflare instead of assumed: ${breakEvenCpu === null ? "no CPU share keeps it under budget" : breakEvenCpu >= 1 ? "even a fully busy vCPU stays within the budget" : `above ${Math.round(breakEvenCpu * 100)}% average CPU the ${label(asked)} line exceeds ${usd(options.budget)}`}`,
    ],
    sources: [
      { path: "computed by verify/cost/model.ts", generatedAt: new Date().toISOString(), origin: "computed" },
      ...PRICES.sources.map((source) => ({ path: source, generatedAt: PRICES.readOn, origin: "desk research" as const })),
    ],
    tables: lines.map((breakdown) => ({
      caption: `${label(breakdown)}: ${usd(breakdown.totalUsd)}/month`,
      header: ["line", "usage / month", "included", "USD", "how"],
      rows: breakdown.lines.map((line) => [
        line.name,
        `${Math.round(line.usage).toLocaleString("en-US")} ${line.unit}`,
        line.included ? `${Math.round(line.included).toLocaleString("en-US")} ${line.unit}` : "—",
        usd(line.usd),
        line.formula,
      ]),
    })),
    charts: [
      {
        title: `Monthly cost against the budget (${usd(options.budget)})`,
        unit: "USD",
        rows: [
          { label: "budget", median: options.budget, min: options.budget, max: options.budget },
          ...lines.map((breakdown) => ({
            label:
              breakdown.runningHoursPerDay >= 24
                ? `${breakdown.input.instanceType} 24/7`
                : `${breakdown.input.instanceType} ${breakdown.input.activeHoursPerDay} h/day`,
            median: breakdown.totalUsd,
            min: breakdown.totalUsd,
            max: breakdown.totalUsd,
          })),
          {
            label: "moltworker's estimate (std-1 24/7)",
            median: MOLTWORKER_ESTIMATE.totalUsd,
            min: MOLTWORKER_ESTIMATE.totalUsd,
            max: MOLTWORKER_ESTIMATE.totalUsd,
          },
        ],
      },
    ],
    ...(judgement.stop ? { stops: [judgement.stop] } : {}),
  };
}

/**
 * Cost: Cloudflare's published prices × the instance type × the hours the container runs,
 * plus R2 from the requests the bench measured per backup and restore, against the budget;
 * checked against moltworker's own 24/7 estimate on standard-1.
 */
import { INSTANCE_TYPES } from "../../contract/instance-types.ts";
import type { BenchReport } from "../bench-results.ts";
import { BENCH_COMMAND, describeR2 } from "../bench.ts";
import { costWithoutAllowances, monthlyCost, type CostBreakdown } from "../cost/model.ts";
import { BYTES_PER_GB, HOURS_PER_MONTH, MOLTWORKER_ESTIMATE, PRICES } from "../cost/prices.ts";
import { CHANGING_SHARE_OF_USE, PRICED_SHAPE, r2InputFromBench, type R2Evidence } from "../cost/r2-inputs.ts";
import type { Evidence } from "../evidence.ts";
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

/** "12,345" or, below 100, three significant digits ("0.0128"). */
function usage(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString("en-US") : String(Number(value.toPrecision(3)));
}

const r2Usd = (breakdown: CostBreakdown) => breakdown.lines.filter((line) => line.name.startsWith("R2 ")).reduce((sum, line) => sum + line.usd, 0);

/** What the R2 lines rest on, measured and assumed, and where the free tier ends. */
function r2Evidence(r2: R2Evidence, asked: CostBreakdown, bench: Evidence<BenchReport>): string[] {
  if (!r2.ok) return [`R2 is not in the total: ${r2.why}. \`${BENCH_COMMAND}\` measures its requests per backup and restore.`];
  const { input } = r2;
  const use = asked.r2!;
  const hoursInUse = asked.input.activeHoursPerDay;
  // Backups a month the Class A free tier covers, after the restores.
  const freeBackups = Math.max(0, (PRICES.r2.included.classA - use.restores * input.perRestore.classA) / input.perBackup.classA);
  const freeEveryS = (hoursInUse * (HOURS_PER_MONTH / 24) * 3600) / freeBackups;
  const nonstop = monthlyCost({ ...asked.input, r2: { ...input, changingShare: 1 } }, PRICES);
  return [
    `R2, measured by the bench through the supervisor's own Bucket against the R2 simulator (${bench.source.path}, shape ${PRICED_SHAPE}, row "${r2.row}"): a backup after one file changed ${describeR2(input.perBackup)}; a restore ${describeR2(input.perRestore)}; the unchanged rescan sends no request. Backups while the state changes: ${input.backupCadence}. Assumed: the state is that workspace; it changes during ${Math.round(input.changingShare * 100)} % of the ${hoursInUse} h/day in use (a reply streaming, a tool writing; an agent waiting for a message writes nothing) and backups run back to back meanwhile; a restore at each start; ${input.keptSnapshots} snapshots kept. If it changed through every hour in use (the upper bound): R2 ${usd(r2Usd(nonstop))}, ${usage(nonstop.r2!.backups)} backups a month.`,
    `R2 for ${label(asked)}: ${usage(use.backups)} backups and ${use.restores.toFixed(1)} restores a month → ${usage(use.classA)} Class A, ${usage(use.classB)} Class B, ${usage(use.storedBytes / BYTES_PER_GB)} GB stored: ${usd(r2Usd(asked))}. The Class A free tier (${PRICES.r2.included.classA.toLocaleString("en-US")}/month) covers ${usage(freeBackups)} backups, one every ${freeEveryS.toFixed(1)} s of use; storage stays free up to ${PRICES.r2.included.storageGBMonths} GB-month. Not counted: pruning (every 10th backup lists the snapshots and objects and reads the kept manifests) and the first full backup into an empty bucket (${describeR2(r2.fullBackup)}, once).`,
  ];
}

export function judgeCostItem(ctx: VerifyContext, { bench }: { bench: Evidence<BenchReport> }): Judgement {
  const { options } = ctx;
  const r2 = r2InputFromBench(bench.data);
  const common = { instanceType: options.instanceType, cpuUtilisation: options.cpuUtilisation, ...(r2.ok ? { r2: r2.input } : {}) };
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
  const r2Part = r2.ok
    ? `; R2 ${usd(r2Usd(asked))} of it, assuming backups every ${r2.input.backupEveryS.toFixed(1)} s during the ${Math.round(r2.input.changingShare * 100)} % of use the state changes`
    : "; R2 not included (no measured requests)";
  return {
    verdict: judgement.verdict,
    summary: `computed from published prices: ${judgement.why}${r2Part}${partTime ? `; ${REALISTIC_ACTIVE_HOURS} h/day: ${usd(partTime.totalUsd)}` : ""}`,
    evidence: [
      `Computed, not measured: Cloudflare's published prices read ${PRICES.readOn} × ${options.instanceType} (${size.vcpu} vCPU, ${size.memoryMiB / 1024} GiB, ${size.diskGB} GB disk) × running hours, CPU at ${Math.round(options.cpuUtilisation * 100)}% of the vCPU, a month of 730 h.`,
      `Prices: Workers Paid $${PRICES.workersPaidUsdPerMonth}/month; memory ${rate(PRICES.containers.memoryUsdPerGiBSecond)}/GiB-s, CPU ${rate(PRICES.containers.vcpuUsdPerVcpuSecond)}/vCPU-s of active use, disk ${rate(PRICES.containers.diskUsdPerGBSecond)}/GB-s; included monthly: ${PRICES.containers.included.memoryGiBHours} GiB-h, ${PRICES.containers.included.vcpuMinutes} vCPU-min, ${PRICES.containers.included.diskGBHours} GB-h; Durable Object duration ${PRICES.durableObjects.includedGBSeconds.toLocaleString("en-US")} GB-s included, then $${PRICES.durableObjects.usdPerMillionGBSeconds}/million GB-s; R2 storage $${PRICES.r2.storageUsdPerGBMonth}/GB-month, Class A $${PRICES.r2.classAUsdPerMillion.toFixed(2)} and Class B $${PRICES.r2.classBUsdPerMillion.toFixed(2)} per million requests, free monthly ${PRICES.r2.included.storageGBMonths} GB-month, ${PRICES.r2.included.classA.toLocaleString("en-US")} Class A, ${PRICES.r2.included.classB.toLocaleString("en-US")} Class B, usage above it billed per started GB-month or million.`,
      ...lines.map(
        (breakdown) =>
          `${label(breakdown)}: ${usd(breakdown.totalUsd)}/month (memory ${usd(lineOf(breakdown, "Container memory"))}, CPU ${usd(lineOf(breakdown, "Container CPU"))}, disk ${usd(lineOf(breakdown, "Container disk"))}, Durable Object ${usd(lineOf(breakdown, "Durable Object"))}, plan ${usd(lineOf(breakdown, "Workers Paid"))}${breakdown.r2 ? `, R2 ${usd(r2Usd(breakdown))}` : ""}).`,
      ),
      ...r2Evidence(r2, asked, bench),
      `Check against moltworker's estimate (${MOLTWORKER_ESTIMATE.assumptions}): ${usd(MOLTWORKER_ESTIMATE.totalUsd)} = $5 + memory ~$26 + CPU ~$2 + disk ~$1.50. This model gives ${usd(reference.totalUsd)} (memory ${usd(lineOf(reference, "Container memory"))}, CPU ${usd(lineOf(reference, "Container CPU"))}, disk ${usd(lineOf(reference, "Container disk"))}): ${referenceDiff >= 0 ? "+" : "−"}${usd(Math.abs(referenceDiff))}, because moltworker rounds each line to a whole or half dollar; with no included allowances it would be ${usd(referenceGross)}.`,
      "moltworker's default (and this Worker's) is SANDBOX_SLEEP_AFTER=never: the container then runs — and is billed — 24/7 however little it is used. The part-time line needs SANDBOX_SLEEP_AFTER set, and while the container sleeps its channels (Discord, Telegram) are offline until the next request through the Worker wakes it.",
      `Not in the total: ${r2.ok ? "" : "R2 (free up to 10 GB-month stored, 1M Class A and 10M Class B requests; backups upload only changed files), "}AI Gateway (free; model calls are billed by the providers), Worker requests (10M included), egress (1 TB included in North America and Europe; R2 has no egress fees).`,
    ],
    wouldChange: [
      `a smaller instance type (--instance-type), fewer running hours (SANDBOX_SLEEP_AFTER), or a different CPU share (--cpu-percent) — each is an option of verify`,
      "Cloudflare changing its Containers or R2 prices (update verify/cost/prices.ts with the date and source)",
      `the CPU share measured on Cloudflare instead of assumed: ${breakEvenCpu === null ? "no CPU share keeps it under budget" : breakEvenCpu >= 1 ? "even a fully busy vCPU stays within the budget" : `above ${Math.round(breakEvenCpu * 100)}% average CPU the ${label(asked)} line exceeds ${usd(options.budget)}`}`,
      r2.ok
        ? `R2 measured on your own state instead of the bench's workspace, and how long that state really changes each day (the R2 lines assume ${Math.round(CHANGING_SHARE_OF_USE * 100)} % of the hours in use)`
        : `R2 priced from measured requests: run \`${BENCH_COMMAND}\` (its backup figures count the requests per backup and restore)`,
    ],
    sources: [
      { path: "computed by verify/cost/model.ts", generatedAt: new Date().toISOString(), origin: "computed" },
      bench.source,
      ...PRICES.sources.map((source) => ({ path: source, generatedAt: PRICES.readOn, origin: "desk research" as const })),
    ],
    tables: lines.map((breakdown) => ({
      caption: `${label(breakdown)}: ${usd(breakdown.totalUsd)}/month`,
      header: ["line", "usage / month", "included", "USD", "how"],
      rows: [
        ...breakdown.lines.map((line) => [
          line.name,
          `${usage(line.usage)} ${line.unit}`,
          line.included ? `${usage(line.included)} ${line.unit}` : "—",
          usd(line.usd),
          line.formula,
        ]),
        ...(r2.ok ? [] : [["R2 storage and requests", "—", "—", "not in the total", `not measured: ${r2.why}; run \`${BENCH_COMMAND}\``]]),
      ],
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

/**
 * Monthly cost of one always-single container (moltworker's max_instances: 1) on
 * Cloudflare Containers, as pure arithmetic on stated inputs. Memory and disk are billed
 * for what the instance type provisions while the container runs; CPU for what it uses.
 */
import { INSTANCE_TYPES, type InstanceType } from "../../contract/instance-types.ts";
import { HOURS_PER_MONTH, type PriceSheet } from "./prices.ts";

export interface CostInput {
  instanceType: InstanceType;
  /** Hours a day someone uses OpenClaw (1–24). */
  activeHoursPerDay: number;
  /** Minutes the container stays up after the last request; null = never sleeps. */
  sleepAfterMinutes: number | null;
  /** Average CPU use while running, as a share of the instance's vCPU (0–1). */
  cpuUtilisation: number;
}

export interface CostLine {
  name: string;
  /** Usage in the line's unit over the month. */
  usage: number;
  included: number;
  unit: string;
  usd: number;
  /** How the figure came about, in words. */
  formula: string;
}

export interface CostBreakdown {
  input: CostInput;
  /** Hours a day the container is billed: in use, plus the sleepAfter tail (24 when it never sleeps). */
  runningHoursPerDay: number;
  runningSecondsPerMonth: number;
  lines: CostLine[];
  totalUsd: number;
}

/**
 * Hours a day the container runs. One block of use a day is assumed, so the container
 * sleeps once, sleepAfter after the last request; more, shorter sessions add a tail each.
 */
export function runningHoursPerDay(activeHours: number, sleepAfterMinutes: number | null): number {
  if (sleepAfterMinutes === null) return 24;
  return Math.min(24, activeHours + sleepAfterMinutes / 60);
}

/** A per-unit rate as printed on the price sheet: 0.00000007, never 7e-8. */
function rate(value: number): string {
  return `$${value.toFixed(10).replace(/0+$/, "").replace(/\.$/, "")}`;
}

function billable(name: string, usage: number, included: number, unit: string, rate: number, formula: string): CostLine {
  return { name, usage, included, unit, usd: Math.max(0, usage - included) * rate, formula };
}

export function monthlyCost(input: CostInput, prices: PriceSheet): CostBreakdown {
  const size = INSTANCE_TYPES[input.instanceType];
  const hours = runningHoursPerDay(input.activeHoursPerDay, input.sleepAfterMinutes);
  const seconds = (hours / 24) * HOURS_PER_MONTH * 3600;
  const memoryGiB = size.memoryMiB / 1024;
  const { containers, durableObjects } = prices;
  const vcpuSeconds = size.vcpu * input.cpuUtilisation * seconds;
  const lines: CostLine[] = [
    {
      name: "Workers Paid plan",
      usage: 1,
      included: 0,
      unit: "month",
      usd: prices.workersPaidUsdPerMonth,
      formula: "flat monthly minimum; includes the allowances below",
    },
    billable(
      "Container memory",
      memoryGiB * seconds,
      containers.included.memoryGiBHours * 3600,
      "GiB-s",
      containers.memoryUsdPerGiBSecond,
      `${memoryGiB} GiB × ${Math.round(seconds).toLocaleString("en-US")} s, minus ${containers.included.memoryGiBHours} GiB-h included, × ${rate(containers.memoryUsdPerGiBSecond)}/GiB-s`,
    ),
    billable(
      "Container CPU (active use)",
      vcpuSeconds,
      containers.included.vcpuMinutes * 60,
      "vCPU-s",
      containers.vcpuUsdPerVcpuSecond,
      `${size.vcpu} vCPU × ${Math.round(input.cpuUtilisation * 100)}% × ${Math.round(seconds).toLocaleString("en-US")} s, minus ${containers.included.vcpuMinutes} vCPU-min included, × ${rate(containers.vcpuUsdPerVcpuSecond)}/vCPU-s`,
    ),
    billable(
      "Container disk",
      size.diskGB * seconds,
      containers.included.diskGBHours * 3600,
      "GB-s",
      containers.diskUsdPerGBSecond,
      `${size.diskGB} GB × ${Math.round(seconds).toLocaleString("en-US")} s, minus ${containers.included.diskGBHours} GB-h included, × ${rate(containers.diskUsdPerGBSecond)}/GB-s`,
    ),
    billable(
      "Durable Object duration",
      durableObjects.billedGB * seconds,
      durableObjects.includedGBSeconds,
      "GB-s",
      durableObjects.usdPerMillionGBSeconds / 1e6,
      `${durableObjects.billedGB} GB × ${Math.round(seconds).toLocaleString("en-US")} s (the Sandbox DO is active while its container runs), minus ${durableObjects.includedGBSeconds.toLocaleString("en-US")} GB-s included`,
    ),
  ];
  return { input, runningHoursPerDay: hours, runningSecondsPerMonth: seconds, lines, totalUsd: lines.reduce((sum, line) => sum + line.usd, 0) };
}

/** The same instance 24/7, ignoring every included allowance: how a quick estimate (moltworker's) comes out. */
export function costWithoutAllowances(input: CostInput, prices: PriceSheet): number {
  const none: PriceSheet = {
    ...prices,
    containers: { ...prices.containers, included: { memoryGiBHours: 0, vcpuMinutes: 0, diskGBHours: 0 } },
    durableObjects: { ...prices.durableObjects, includedGBSeconds: 0 },
  };
  const breakdown = monthlyCost(input, none);
  return breakdown.lines.filter((line) => line.name !== "Durable Object duration").reduce((sum, line) => sum + line.usd, 0);
}

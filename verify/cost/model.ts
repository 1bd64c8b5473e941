/**
 * Monthly cost of one always-single container (moltworker's max_instances: 1) on
 * Cloudflare Containers, as pure arithmetic on stated inputs. Memory and disk are billed
 * for what the instance type provisions while the container runs; CPU for what it uses.
 * With R2 inputs, its storage and requests too: the requests of one backup and one restore
 * as the bench measured them, times how often they happen.
 */
import type { R2Operations } from "../../container/supervisor/storage.ts";
import { INSTANCE_TYPES, type InstanceType } from "../../contract/instance-types.ts";
import { formatBytes } from "../bench.ts";
import { BYTES_PER_GB, HOURS_PER_MONTH, type PriceSheet } from "./prices.ts";

export interface CostInput {
  instanceType: InstanceType;
  /** Hours a day someone uses OpenClaw (1–24). */
  activeHoursPerDay: number;
  /** Minutes the container stays up after the last request; null = never sleeps. */
  sleepAfterMinutes: number | null;
  /** Average CPU use while running, as a share of the instance's vCPU (0–1). */
  cpuUtilisation: number;
  /** R2's part: absent when nothing measured it (then the breakdown has no R2 lines). */
  r2?: R2Input;
}

/** What R2's lines are computed from: requests per event (measured) and how often each happens (assumed). */
export interface R2Input {
  /** One backup after a change: its requests and bytes (measured by the bench). */
  perBackup: R2Operations;
  /** One restore at a container start (measured). */
  perRestore: R2Operations;
  /** The state in R2: what a full backup of it uploads (measured, for the bench's workspace). */
  stateBytes: number;
  /** One backup this often while state keeps changing (measured, or the backup loop's bound). */
  backupEveryS: number;
  /** Where backupEveryS comes from, in words. */
  backupCadence: string;
  /** Share of the hours in use during which the state changes (assumed; 1 is the upper bound). */
  changingShare: number;
  /** Snapshots kept (MOLTLAB_BACKUP_KEEP): each keeps its manifest and the old contents it names. */
  keptSnapshots: number;
  /** Restores a month of a container that never sleeps: restarts and deploys (assumed). */
  restoresPerMonthAlwaysOn: number;
}

/** R2 use over a month. */
export interface R2MonthlyUse {
  backups: number;
  restores: number;
  classA: number;
  classB: number;
  storedBytes: number;
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
  /** Present when the input has R2's part. */
  r2?: R2MonthlyUse;
  lines: CostLine[];
  totalUsd: number;
}

const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

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

/** R2's way: what exceeds the free tier is billed in whole units, a started one rounded up. */
function billedInWholeUnits(name: string, usage: number, included: number, unit: string, billingUnit: number, usdPerUnit: number, formula: string): CostLine {
  // The epsilon keeps an exact multiple (2,000,000.0000001 after float arithmetic) from starting a unit.
  const units = Math.max(0, Math.ceil((usage - included) / billingUnit - 1e-9));
  return { name, usage, included, unit, usd: units * usdPerUnit, formula };
}

/**
 * A month of R2: a backup every backupEveryS while the state changes, changingShare of the hours
 * in use (unchanged rescans send no request), a restore at every start
 * (one a day when the container sleeps, else restoresPerMonthAlwaysOn), and in storage the
 * state plus, per kept snapshot, what one change uploads (its manifest and changed contents).
 */
export function r2MonthlyUse(r2: R2Input, activeHoursPerDay: number, sleeps: boolean): R2MonthlyUse {
  const backups = (activeHoursPerDay * r2.changingShare * DAYS_PER_MONTH * 3600) / r2.backupEveryS;
  const restores = sleeps ? DAYS_PER_MONTH : r2.restoresPerMonthAlwaysOn;
  return {
    backups,
    restores,
    classA: backups * r2.perBackup.classA + restores * r2.perRestore.classA,
    classB: backups * r2.perBackup.classB + restores * r2.perRestore.classB,
    storedBytes: r2.stateBytes + r2.keptSnapshots * r2.perBackup.bytesUp,
  };
}

function r2Lines(r2: R2Input, use: R2MonthlyUse, activeHoursPerDay: number, sleeps: boolean, prices: PriceSheet["r2"]): CostLine[] {
  const count = (value: number) => Math.round(value).toLocaleString("en-US");
  const often = `${count(use.backups)} backups (${r2.backupCadence}, while the state changes: assumed ${Math.round(r2.changingShare * 100)} % of the ${activeHoursPerDay} h/day in use)`;
  const starts = `${use.restores.toFixed(1)} restores (${sleeps ? "one per wake-up, a day's use assumed in one block" : "restarts and deploys, assumed"})`;
  const requests = (perBackup: number, perRestore: number, included: number, usd: number) =>
    `${often} × ${perBackup} + ${starts} × ${count(perRestore)}, per backup and restore as measured; ${count(included)} free, then $${usd.toFixed(2)} per started million`;
  return [
    billedInWholeUnits(
      "R2 storage",
      use.storedBytes / BYTES_PER_GB,
      prices.included.storageGBMonths,
      "GB-month",
      1,
      prices.storageUsdPerGBMonth,
      `${formatBytes(r2.stateBytes)} of state (a full backup's upload, measured) + ${r2.keptSnapshots} kept snapshots × ${formatBytes(r2.perBackup.bytesUp)} (one change's upload, measured), held all month; ${prices.included.storageGBMonths} GB-month free, then $${prices.storageUsdPerGBMonth}/GB-month per started GB-month`,
    ),
    billedInWholeUnits(
      "R2 Class A requests",
      use.classA,
      prices.included.classA,
      "requests",
      1e6,
      prices.classAUsdPerMillion,
      requests(r2.perBackup.classA, r2.perRestore.classA, prices.included.classA, prices.classAUsdPerMillion),
    ),
    billedInWholeUnits(
      "R2 Class B requests",
      use.classB,
      prices.included.classB,
      "requests",
      1e6,
      prices.classBUsdPerMillion,
      requests(r2.perBackup.classB, r2.perRestore.classB, prices.included.classB, prices.classBUsdPerMillion),
    ),
  ];
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
      formula: "flat monthly minimum; includes the Containers and Durable Objects allowances below (R2's free tier is every account's)",
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
  const sleeps = hours < 24;
  const r2 = input.r2 && r2MonthlyUse(input.r2, input.activeHoursPerDay, sleeps);
  if (input.r2 && r2) lines.push(...r2Lines(input.r2, r2, input.activeHoursPerDay, sleeps, prices.r2));
  return {
    input,
    runningHoursPerDay: hours,
    runningSecondsPerMonth: seconds,
    ...(r2 ? { r2 } : {}),
    lines,
    totalUsd: lines.reduce((sum, line) => sum + line.usd, 0),
  };
}

/** The same instance 24/7, ignoring every included allowance: how a quick estimate (moltworker's, plan and container only) comes out. */
export function costWithoutAllowances(input: CostInput, prices: PriceSheet): number {
  const none: PriceSheet = {
    ...prices,
    containers: { ...prices.containers, included: { memoryGiBHours: 0, vcpuMinutes: 0, diskGBHours: 0 } },
    durableObjects: { ...prices.durableObjects, includedGBSeconds: 0 },
  };
  const { r2: _r2, ...containerOnly } = input;
  const breakdown = monthlyCost(containerOnly, none);
  return breakdown.lines.filter((line) => line.name !== "Durable Object duration").reduce((sum, line) => sum + line.usd, 0);
}

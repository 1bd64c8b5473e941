/**
 * Cloudflare's published prices the cost model uses, with where they were read and when.
 * Desk research, not measured: update `readOn` and the sources when the prices change.
 */

export interface PriceSheet {
  readOn: string;
  sources: string[];
  workersPaidUsdPerMonth: number;
  containers: {
    /** Billed on provisioned memory while the container runs. */
    memoryUsdPerGiBSecond: number;
    /** Billed on active CPU use (since 2025-11-21), not on the provisioned vCPU. */
    vcpuUsdPerVcpuSecond: number;
    /** Billed on provisioned disk while the container runs. */
    diskUsdPerGBSecond: number;
    /** Included in Workers Paid each month. */
    included: { memoryGiBHours: number; vcpuMinutes: number; diskGBHours: number };
  };
  durableObjects: {
    /** Duration, billed while the object is active (a container's DO stays active while the container runs). */
    usdPerMillionGBSeconds: number;
    includedGBSeconds: number;
    /** Duration is billed at 128 MB per object, whatever it uses. */
    billedGB: number;
  };
  /**
   * R2 Standard storage. Usage is rounded up to the next billing unit: a started million
   * requests or GB-month is billed whole (one million and one requests as two million).
   */
  r2: {
    /** A GB-month: the average over the month of each day's peak storage. */
    storageUsdPerGBMonth: number;
    /** PutObject, ListObjects, CopyObject, multipart uploads… */
    classAUsdPerMillion: number;
    /** GetObject, HeadObject… (DeleteObject is free.) */
    classBUsdPerMillion: number;
    /** The free tier, every month, for every account. */
    included: { storageGBMonths: number; classA: number; classB: number };
  };
}

export const PRICES: PriceSheet = {
  readOn: "2026-11-25",
  sources: [
    "https://developers.cloudflare.com/containers/pricing/ (rates and Workers Paid allowances as quoted by third-party write-ups of Nov 2025 and Aug 2026; the page itself was not reachable from this machine)",
    "https://developers.cloudflare.com/durable-objects/platform/pricing/ (duration: 400,000 GB-s included, $12.50 per million GB-s)",
    "https://developers.cloudflare.com/workers/platform/pricing/ (Workers Paid: $5/month minimum)",
    "https://developers.cloudflare.com/r2/pricing/ (read 2026-12-05 from its source in cloudflare/cloudflare-docs: Standard storage $0.015/GB-month, Class A $4.50 and Class B $0.36 per million requests; free each month: 10 GB-month, 1 million Class A, 10 million Class B; usage rounded up to the next billing unit)",
  ],
  workersPaidUsdPerMonth: 5,
  containers: {
    memoryUsdPerGiBSecond: 0.0000025,
    vcpuUsdPerVcpuSecond: 0.00002,
    diskUsdPerGBSecond: 0.00000007,
    included: { memoryGiBHours: 25, vcpuMinutes: 375, diskGBHours: 200 },
  },
  durableObjects: { usdPerMillionGBSeconds: 12.5, includedGBSeconds: 400_000, billedGB: 0.128 },
  r2: {
    storageUsdPerGBMonth: 0.015,
    classAUsdPerMillion: 4.5,
    classBUsdPerMillion: 0.36,
    included: { storageGBMonths: 10, classA: 1_000_000, classB: 10_000_000 },
  },
};

/** Hours in an average month (365 × 24 / 12), the convention cloud price sheets use. */
export const HOURS_PER_MONTH = 730;

/** Bytes in the GB of R2's GB-month (the price page does not say; a GiB would be 7 % more). */
export const BYTES_PER_GB = 1e9;

/** Moltworker's own 24/7 estimate on standard-1 (its README), broken down as it states it. */
export const MOLTWORKER_ESTIMATE = {
  totalUsd: 34.5,
  lines: { workersPaid: 5, memory: 26, cpu: 2, disk: 1.5 },
  assumptions: "standard-1 (4 GiB, 1/2 vCPU, 8 GB disk) running 24/7, CPU at about 10%",
} as const;

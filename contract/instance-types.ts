/** Cloudflare's documented instance types, smallest first. */
export const INSTANCE_TYPE_NAMES = ["lite", "basic", "standard-1", "standard-2", "standard-3", "standard-4"] as const;
export type InstanceType = (typeof INSTANCE_TYPE_NAMES)[number];
/** moltworker's choice, and the platform's default. */
export const DEFAULT_INSTANCE_TYPE: InstanceType = "standard-1";

/** What an instance type means for one container on this host. */
export interface ContainerLimits {
  vcpu: number;
  /** What Docker enforces: vcpu × 10⁹, clamped to the engine's CPU count when the host has fewer. */
  nanoCpus: number;
  cpuClamped: boolean;
  memoryBytes: number;
  /** Equals memoryBytes: no swap, as on Cloudflare. */
  memorySwapBytes: number;
  pidsLimit: number;
  /** The instance type's disk size, recorded only: overlay2 without xfs project quotas cannot enforce it. */
  diskBytes: number;
  diskEnforced: false;
}

export interface InstanceTypeSize {
  vcpu: number;
  memoryMiB: number;
  diskGB: number;
}

/** Cloudflare's documented instance types. */
export const INSTANCE_TYPES: Readonly<Record<InstanceType, InstanceTypeSize>> = {
  lite: { vcpu: 1 / 16, memoryMiB: 256, diskGB: 2 },
  basic: { vcpu: 1 / 4, memoryMiB: 1024, diskGB: 4 },
  "standard-1": { vcpu: 1 / 2, memoryMiB: 4096, diskGB: 8 },
  "standard-2": { vcpu: 1, memoryMiB: 6144, diskGB: 12 },
  "standard-3": { vcpu: 2, memoryMiB: 8192, diskGB: 16 },
  "standard-4": { vcpu: 4, memoryMiB: 12288, diskGB: 20 },
};

/**
 * Cloudflare documents no process limit; moltlab sets one so a fork bomb in a sandbox
 * cannot take the host down. High enough for OpenClaw with a browser (threads count).
 */
export const PIDS_LIMIT = 8192;

export function isInstanceType(value: unknown): value is InstanceType {
  return typeof value === "string" && (INSTANCE_TYPE_NAMES as readonly string[]).includes(value);
}

/** "standard-1 (1/2 vCPU, 4 GiB, 8 GB disk)"; without the disk on request. */
export function describeInstanceType(name: InstanceType, options: { disk?: boolean } = {}): string {
  const size = INSTANCE_TYPES[name];
  const vcpu = size.vcpu < 1 ? `1/${Math.round(1 / size.vcpu)}` : String(size.vcpu);
  const memory = size.memoryMiB < 1024 ? `${size.memoryMiB} MiB` : `${size.memoryMiB / 1024} GiB`;
  return `${name} (${vcpu} vCPU, ${memory}${options.disk === false ? "" : `, ${size.diskGB} GB disk`})`;
}

export function describeInstanceTypes(): string {
  return INSTANCE_TYPE_NAMES.map((name) => describeInstanceType(name)).join(", ");
}

/**
 * What Docker enforces for an instance type. Docker refuses more CPUs than the engine
 * has, so on a small host the CPU share is clamped (and says so) rather than failing.
 */
export function limitsFor(type: InstanceType, hostCpus: number): ContainerLimits {
  const size = INSTANCE_TYPES[type];
  const cpus = Math.min(size.vcpu, hostCpus);
  const memoryBytes = size.memoryMiB * 1024 ** 2;
  return {
    vcpu: size.vcpu,
    nanoCpus: Math.round(cpus * 1e9),
    cpuClamped: cpus < size.vcpu,
    memoryBytes,
    memorySwapBytes: memoryBytes,
    pidsLimit: PIDS_LIMIT,
    diskBytes: size.diskGB * 1e9,
    diskEnforced: false,
  };
}

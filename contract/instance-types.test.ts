import { describe, expect, it } from "vitest";
import { describeInstanceTypes, INSTANCE_TYPES, isInstanceType, limitsFor, PIDS_LIMIT, INSTANCE_TYPE_NAMES } from "./instance-types.ts";

const GiB = 1024 ** 3;

describe("instance types", () => {
  it("map to Cloudflare's documented vCPU, memory and disk, enforced as NanoCpus and Memory = MemorySwap", () => {
    const table = INSTANCE_TYPE_NAMES.map((name) => {
      const limits = limitsFor(name, 64);
      return [name, limits.nanoCpus, limits.memoryBytes, limits.memorySwapBytes, limits.diskBytes];
    });
    expect(table).toEqual([
      ["lite", 62_500_000, 256 * 1024 ** 2, 256 * 1024 ** 2, 2e9],
      ["basic", 250_000_000, GiB, GiB, 4e9],
      ["standard-1", 500_000_000, 4 * GiB, 4 * GiB, 8e9],
      ["standard-2", 1_000_000_000, 6 * GiB, 6 * GiB, 12e9],
      ["standard-3", 2_000_000_000, 8 * GiB, 8 * GiB, 16e9],
      ["standard-4", 4_000_000_000, 12 * GiB, 12 * GiB, 20e9],
    ]);
  });

  it("clamp the CPU share to the engine's CPUs, saying so, and record the disk without enforcing it", () => {
    expect(limitsFor("standard-4", 2)).toEqual({
      vcpu: 4,
      nanoCpus: 2_000_000_000,
      cpuClamped: true,
      memoryBytes: 12 * GiB,
      memorySwapBytes: 12 * GiB,
      pidsLimit: PIDS_LIMIT,
      diskBytes: 20e9,
      diskEnforced: false,
    });
    expect(limitsFor("standard-3", 2).cpuClamped).toBe(false);
  });

  it("are listed for error messages and recognised by name only", () => {
    expect(describeInstanceTypes()).toBe(
      "lite (1/16 vCPU, 256 MiB, 2 GB disk), basic (1/4 vCPU, 1 GiB, 4 GB disk), standard-1 (1/2 vCPU, 4 GiB, 8 GB disk), " +
        "standard-2 (1 vCPU, 6 GiB, 12 GB disk), standard-3 (2 vCPU, 8 GiB, 16 GB disk), standard-4 (4 vCPU, 12 GiB, 20 GB disk)",
    );
    expect(Object.keys(INSTANCE_TYPES)).toEqual([...INSTANCE_TYPE_NAMES]);
    expect([isInstanceType("standard-1"), isInstanceType("standard"), isInstanceType("toString"), isInstanceType(1)]).toEqual([true, false, false, false]);
  });
});

/** What a report says about the machine it was measured on (bench.json, verify.json). */
import { cpus, totalmem } from "node:os";
import { probeEngine } from "./docker.ts";
import { hostArch } from "./host.ts";

export interface MachineFacts {
  arch: string;
  cpus: number;
  memoryGiB: number;
  /** The engine's version, or why there is none. */
  docker: string;
  node: string;
}

export async function machineFacts(): Promise<MachineFacts> {
  const engine = await probeEngine();
  return {
    arch: hostArch(),
    cpus: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    docker: engine.ok ? engine.engine.version : `unavailable (${engine.message})`,
    node: process.versions.node,
  };
}

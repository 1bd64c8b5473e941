import { constants } from "node:os";
import type { ContainerStatus } from "../client/types.ts";

/** Where one container is in its life; finer than the status clients see. */
export type Phase = "creating" | "created" | "starting" | "running" | "stopping" | "exited";

export function statusOf(phase: Phase | undefined): ContainerStatus {
  switch (phase) {
    case undefined:
      return "stopped";
    case "creating":
    case "created":
    case "starting":
      return "starting";
    default:
      return phase;
  }
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/** Shells and Docker report death by signal N as exit code 128 + N. */
export function signalOf(exitCode: number | undefined): string | undefined {
  if (exitCode === undefined || exitCode <= 128 || exitCode > 128 + 64) return undefined;
  return SIGNAL_NAMES.get(exitCode - 128);
}

/**
 * One container generation of a name (an Instance: a restart replaces the whole record) and
 * the state clients see of it.
 */
import { constants } from "node:os";
import type Docker from "dockerode";
import type { ContainerLimits } from "../../contract/instance-types.ts";
import type { ContainerState, ContainerStatus, ContainerTimings, PlatformStopResult } from "../client/types.ts";
import type { NormalizedSpec } from "./spec.ts";

/** Where one container is in its life; finer than the status clients see. */
export type Phase = "creating" | "created" | "starting" | "running" | "stopping" | "exited";

/** What the engine said about a process that ended. */
export interface DockerExit {
  code?: number;
  oomKilled: boolean;
  finishedAt?: string;
}

export interface Instance {
  name: string;
  spec: NormalizedSpec;
  limits: ContainerLimits;
  phase: Phase;
  ready: boolean;
  ports: Record<string, string>;
  timings: ContainerTimings;
  /** performance.now() of the start request. */
  requestedAt: number;
  container?: Docker.Container;
  id?: string;
  startedAt?: string;
  exit?: DockerExit;
  error?: { code: string; message: string };
  /** The start in progress; every concurrent start call gets this same promise. */
  starting?: Promise<ContainerState>;
  stopping?: Promise<PlatformStopResult>;
  /** Resolves when the process has exited (set once it runs). */
  exited?: Promise<DockerExit>;
  /** Aborts a port wait when a stop or destroy arrives. */
  abort: AbortController;
}

export function newInstance(name: string, spec: NormalizedSpec, limits: ContainerLimits): Instance {
  return { name, spec, limits, phase: "creating", ready: false, ports: {}, timings: {}, requestedAt: performance.now(), abort: new AbortController() };
}

/** The state of a name without a container: never started, or destroyed. */
export function stoppedState(name: string): ContainerState {
  return { name, status: "stopped", ready: false, ports: {}, timings: {} };
}

export function stateOf(instance: Instance): ContainerState {
  const { spec, exit } = instance;
  const state: ContainerState = {
    name: instance.name,
    status: statusOf(instance.phase),
    ready: instance.ready,
    instanceType: spec.instanceType,
    platform: spec.platform,
    image: spec.image,
    ports: instance.phase === "exited" ? {} : { ...instance.ports },
    limits: instance.limits,
    timings: { ...instance.timings },
  };
  if (instance.id) state.containerId = instance.id;
  if (instance.startedAt) state.startedAt = instance.startedAt;
  if (exit) {
    if (exit.code !== undefined) state.exitCode = exit.code;
    const signal = signalOf(exit.code);
    if (signal) state.exitSignal = signal;
    state.oomKilled = exit.oomKilled;
    if (exit.finishedAt) state.finishedAt = exit.finishedAt;
  }
  if (instance.error) state.error = instance.error;
  return state;
}

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

/** Milliseconds since a performance.now() mark, as timings record them. */
export function elapsed(since: number): number {
  return Math.round(performance.now() - since);
}

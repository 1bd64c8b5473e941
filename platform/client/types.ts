/**
 * The wire types of moltlab's local Containers platform, shared by the platform (Node) and
 * by HttpPlatformContainer (workerd). No Node imports here: the Worker bundles this file.
 */
import type { ContainerLimits, InstanceType } from "../../contract/instance-types.ts";

export const PLATFORMS = ["linux/amd64", "linux/arm64"] as const;
export type Platform = (typeof PLATFORMS)[number];
/** Cloudflare runs linux/amd64 only; arm64 exists here to compare with the user's boards. */
export const DEFAULT_PLATFORM: Platform = "linux/amd64";

/**
 * bridge (default): Docker's bridge, ports published on 127.0.0.1:<random>. host: the host's
 * network namespace, nothing published, `ports[p]` = http://127.0.0.1:<p> — for machines whose
 * traffic must stay on loopback; the app should then bind 127.0.0.1 itself (nothing else shields it).
 * `network:<name>`: attached to that user-defined Docker network only, nothing published,
 * `ports[p]` = http://<container name>:<p> — an alias Docker's DNS resolves for the other
 * containers on that network (a Worker running in docker compose); the app binds 0.0.0.0.
 */
export const NETWORK_MODES = ["bridge", "host"] as const;
export const NAMED_NETWORK_PREFIX = "network:";
export type NetworkMode = (typeof NETWORK_MODES)[number] | `${typeof NAMED_NETWORK_PREFIX}${string}`;
export const DEFAULT_NETWORK: NetworkMode = "bridge";
/** Docker's rule for network names; its built-in networks are modes of their own (or useless here). */
const DOCKER_NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const BUILT_IN_NETWORKS = ["bridge", "host", "none", "default"];

/** The Docker network of a `network:<name>` mode; undefined for bridge and host. */
export function namedNetwork(mode: NetworkMode): string | undefined {
  return mode.startsWith(NAMED_NETWORK_PREFIX) ? mode.slice(NAMED_NETWORK_PREFIX.length) : undefined;
}

export function isNetworkMode(value: unknown): value is NetworkMode {
  if (typeof value !== "string") return false;
  if ((NETWORK_MODES as readonly string[]).includes(value)) return true;
  if (!value.startsWith(NAMED_NETWORK_PREFIX)) return false;
  const name = value.slice(NAMED_NETWORK_PREFIX.length);
  return DOCKER_NETWORK_NAME.test(name) && !BUILT_IN_NETWORKS.includes(name);
}

export interface ContainerSpec {
  /** A local image reference; the platform never pulls. */
  image: string;
  /** Passed through the Docker API, never on a command line. */
  env?: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  instanceType?: InstanceType;
  platform?: Platform;
  /** Default "bridge"; see NETWORK_MODES. */
  network?: NetworkMode;
  /** Container ports to publish on 127.0.0.1 (random host ports; with network "host", the same ports on the host; with `network:<name>`, none: reached over that network). */
  ports: number[];
  /** Extra labels; keys starting with `moltlab.` are the platform's own and rejected. */
  labels?: Record<string, string>;
  /** Whether start resolves only once every port answers HTTP (default true, like startAndWaitForPorts). */
  waitForPorts?: boolean;
  /** Bound on that wait (default 120 s: OpenClaw cold starts take 1–2 minutes). */
  portReadyTimeoutMs?: number;
}

/**
 * stopped: no container (never started, or destroyed); starting: being created/started;
 * running: the process runs (see `ready` for its ports); stopping: a stop is in progress;
 * exited: the process ended (by a stop, a crash or the OOM killer); the next start makes a fresh one.
 */
export type ContainerStatus = "stopped" | "starting" | "running" | "stopping" | "exited";

export interface ContainerTimings {
  /** Docker create call. */
  createMs?: number;
  /** Docker start call. */
  startMs?: number;
  /** From the process running until every port answered HTTP. */
  portReadyMs?: number;
  /** From the start request until ready (or running, without ports to wait for). */
  totalMs?: number;
  /** From the stop request until the process exited. */
  stopMs?: number;
}

export interface ContainerState {
  name: string;
  status: ContainerStatus;
  /** Every published port answered HTTP at least once since the process started. */
  ready: boolean;
  exitCode?: number;
  /** Inferred from exit codes 129–192 (128 + signal number). */
  exitSignal?: string;
  oomKilled?: boolean;
  startedAt?: string;
  finishedAt?: string;
  /** Absent while stopped: known once a start was asked for. */
  instanceType?: InstanceType;
  platform?: Platform;
  image?: string;
  containerId?: string;
  /** Container port → "http://127.0.0.1:NNNNN" (`network:<name>`: "http://<container name>:<port>"). */
  ports: Record<string, string>;
  limits?: ContainerLimits;
  timings: ContainerTimings;
  /** Why the last start failed, if it did. */
  error?: { code: string; message: string };
}

export const LIFECYCLE_EVENT_TYPES = ["creating", "created", "starting", "running", "port-ready", "stopping", "exited", "destroyed", "start-failed"] as const;
export type LifecycleEventType = (typeof LIFECYCLE_EVENT_TYPES)[number];

export interface LifecycleEvent {
  /** Increases by one per event of a platform; SSE clients resume with `?since=`. */
  seq: number;
  name: string;
  type: LifecycleEventType;
  /** ISO 8601 with milliseconds. */
  at: string;
  containerId?: string;
  /** port-ready: the container port and its host URL. */
  port?: number;
  hostUrl?: string;
  /** exited: the exit code, the signal inferred from it, and whether the OOM killer ended it. */
  code?: number;
  signal?: string;
  oomKilled?: boolean;
  /** Duration of the step that ended with this event. */
  ms?: number;
  /** start-failed: the error code and message. */
  error?: { code: string; message: string };
}

export interface PlatformStopOptions {
  /** Default SIGTERM. */
  signal?: string;
  /** How long to wait for the exit before SIGKILL (default 30 s; Cloudflare waits up to 15 minutes). */
  timeoutMs?: number;
}

export interface PlatformStopResult {
  state: ContainerState;
  /** The signal sent first; null when there was nothing running to stop. */
  signalSent: string | null;
  /** Whether the process outlived the bound and was SIGKILLed. */
  killed: boolean;
  exitCode?: number;
}

/**
 * Validation of what clients send: a container spec, a signal, stop options. A typo
 * (`instance_type`, `SIGTREM`) fails with the accepted values rather than being ignored.
 * No Node imports: the same checks could run in the Worker.
 */
import { PlatformError } from "../client/errors.ts";
import { describeInstanceTypes, isInstanceType, type InstanceType, DEFAULT_INSTANCE_TYPE } from "../../contract/instance-types.ts";
import { DEFAULT_NETWORK, DEFAULT_PLATFORM, isNetworkMode, NAMED_NETWORK_PREFIX, NETWORK_MODES, PLATFORMS, type ContainerSpec, type NetworkMode, type Platform, type PlatformStopOptions } from "../client/types.ts";

export const DEFAULT_PORT_READY_TIMEOUT_MS = 120_000;
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;
/** Cloudflare's own grace period before SIGKILL; no bound here may exceed it. */
export const MAX_TIMEOUT_MS = 15 * 60_000;

/** A spec with every default filled in. */
export interface NormalizedSpec {
  image: string;
  env: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  instanceType: InstanceType;
  platform: Platform;
  network: NetworkMode;
  ports: number[];
  labels: Record<string, string>;
  waitForPorts: boolean;
  portReadyTimeoutMs: number;
}

const SPEC_KEYS: readonly (keyof ContainerSpec)[] = [
  "image", "env", "entrypoint", "cmd", "instanceType", "platform", "network", "ports", "labels", "waitForPorts", "portReadyTimeoutMs",
];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Signals a client may send; Docker accepts these names on every engine. */
export const ACCEPTED_SIGNALS = [
  "SIGHUP", "SIGINT", "SIGQUIT", "SIGABRT", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGCONT", "SIGSTOP", "SIGWINCH",
] as const;

function invalid(message: string, fields: readonly string[] = SPEC_KEYS): PlatformError {
  return new PlatformError("invalid_spec", `${message}; fix the request body (fields: ${fields.join(", ")})`);
}

function stringArray(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) throw invalid(`${field} must be an array of strings`);
  return value;
}

function stringRecord(value: unknown, field: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(`${field} must be an object of strings`);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string") throw invalid(`${field}.${key} must be a string`);
  }
  return { ...(value as Record<string, string>) };
}

const STOP_KEYS = ["signal", "timeoutMs"];

function timeout(value: unknown, field: string, fallback: number, fields?: readonly string[]): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_TIMEOUT_MS) {
    throw invalid(`${field} must be an integer number of milliseconds from 0 to ${MAX_TIMEOUT_MS}`, fields);
  }
  return value;
}

export function validateSpec(input: unknown): NormalizedSpec {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw invalid("the spec must be a JSON object");
  const raw = input as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((key) => !(SPEC_KEYS as readonly string[]).includes(key));
  if (unknown.length) throw invalid(`unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`);
  if (typeof raw.image !== "string" || raw.image.trim() === "") throw invalid("image must be a non-empty image reference");
  const env = stringRecord(raw.env, "env");
  for (const [key, value] of Object.entries(env)) {
    if (!ENV_NAME.test(key)) throw invalid(`env name "${key}" is not a valid variable name`);
    if (value.includes("\0")) throw invalid(`env ${key} contains a NUL byte`);
  }
  const instanceType = raw.instanceType ?? DEFAULT_INSTANCE_TYPE;
  if (!isInstanceType(instanceType)) {
    throw new PlatformError("unknown_instance_type", `unknown instance type ${JSON.stringify(instanceType)}; use one of ${describeInstanceTypes()}`);
  }
  const platform = raw.platform ?? DEFAULT_PLATFORM;
  if (!(PLATFORMS as readonly unknown[]).includes(platform)) throw invalid(`platform must be one of ${PLATFORMS.join(", ")}, not ${JSON.stringify(platform)}`);
  const network = raw.network ?? DEFAULT_NETWORK;
  if (!isNetworkMode(network)) {
    throw invalid(`network must be one of ${NETWORK_MODES.join(", ")} or ${NAMED_NETWORK_PREFIX}<name of a user-defined Docker network>, not ${JSON.stringify(network)}`);
  }
  if (!Array.isArray(raw.ports)) throw invalid("ports must be an array of container ports (use [] for none)");
  const ports = raw.ports as unknown[];
  for (const port of ports) {
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`port ${JSON.stringify(port)} is not an integer from 1 to 65535`);
  }
  if (new Set(ports).size !== ports.length) throw invalid("ports must not repeat");
  const labels = stringRecord(raw.labels, "labels");
  const reserved = Object.keys(labels).filter((key) => key.startsWith("moltlab."));
  if (reserved.length) throw invalid(`labels ${reserved.join(", ")} are reserved for the platform (moltlab.*)`);
  if (raw.waitForPorts !== undefined && typeof raw.waitForPorts !== "boolean") throw invalid("waitForPorts must be true or false");
  const spec: NormalizedSpec = {
    image: raw.image,
    env,
    instanceType,
    platform: platform as Platform,
    network,
    ports: ports as number[],
    labels,
    waitForPorts: raw.waitForPorts ?? true,
    portReadyTimeoutMs: timeout(raw.portReadyTimeoutMs, "portReadyTimeoutMs", DEFAULT_PORT_READY_TIMEOUT_MS),
  };
  const entrypoint = stringArray(raw.entrypoint, "entrypoint");
  const cmd = stringArray(raw.cmd, "cmd");
  if (entrypoint) spec.entrypoint = entrypoint;
  if (cmd) spec.cmd = cmd;
  return spec;
}

export function validateSignal(signal: unknown): string {
  if (typeof signal === "string" && (ACCEPTED_SIGNALS as readonly string[]).includes(signal)) return signal;
  throw new PlatformError("invalid_signal", `signal ${JSON.stringify(signal)} is not one of ${ACCEPTED_SIGNALS.join(", ")}`);
}

export function validateStopOptions(input: unknown): Required<PlatformStopOptions> {
  const raw = (input ?? {}) as Record<string, unknown>;
  if (typeof raw !== "object" || Array.isArray(raw)) throw invalid("stop options must be a JSON object", STOP_KEYS);
  const unknown = Object.keys(raw).filter((key) => !STOP_KEYS.includes(key));
  if (unknown.length) throw invalid(`unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`, STOP_KEYS);
  return {
    signal: raw.signal === undefined ? "SIGTERM" : validateSignal(raw.signal),
    timeoutMs: timeout(raw.timeoutMs, "timeoutMs", DEFAULT_STOP_TIMEOUT_MS, STOP_KEYS),
  };
}

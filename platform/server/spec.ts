/**
 * Validation of what clients send: a container spec, a signal, stop options, each a zod
 * schema whose messages are the texts clients read. A typo (`instance_type`, `SIGTREM`) fails
 * with the accepted values rather than being ignored. One problem is reported, the first in
 * field order (an unknown field before all): the API answers with one error code, and a bad
 * instance type or signal has codes of its own.
 *
 * Server-side on purpose: the Worker bundles platform/client/, and zod would only add weight
 * there, since the platform checks every request anyway.
 */
import { z } from "zod";
import { PlatformError, type PlatformErrorCode } from "../client/errors.ts";
import { describeInstanceTypes, DEFAULT_INSTANCE_TYPE, INSTANCE_TYPE_NAMES, type InstanceType } from "../../contract/instance-types.ts";
import {
  DEFAULT_NETWORK,
  DEFAULT_PLATFORM,
  isNetworkMode,
  NAMED_NETWORK_PREFIX,
  NETWORK_MODES,
  PLATFORMS,
  type NetworkMode,
  type Platform,
  type PlatformStopOptions,
} from "../client/types.ts";

export const DEFAULT_PORT_READY_TIMEOUT_MS = 120_000;
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;
/** Cloudflare's own grace period before SIGKILL; no bound here may exceed it. */
export const MAX_TIMEOUT_MS = 15 * 60_000;

/** Signals a client may send; Docker accepts these names on every engine. */
export const ACCEPTED_SIGNALS = [
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGABRT",
  "SIGKILL",
  "SIGUSR1",
  "SIGUSR2",
  "SIGPIPE",
  "SIGALRM",
  "SIGTERM",
  "SIGCONT",
  "SIGSTOP",
  "SIGWINCH",
] as const;

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

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `{ error }` for a schema or check whose message depends on the value given. */
const saying = (message: (input: unknown) => string) => ({ error: (issue: { input?: unknown }) => message(issue.input) });

const stringArray = (field: string) => z.array(z.string({ error: `${field} must be an array of strings` }), { error: `${field} must be an array of strings` });

/** An object of strings; the message of a non-string value names its key (`env.A`). */
const stringRecord = (field: string) =>
  z.record(z.string(), z.string({ error: (issue) => `${field}.${String(issue.path?.at(-1))} must be a string` }), {
    error: `${field} must be an object of strings`,
  });

const milliseconds = (field: string) => {
  const message = `${field} must be an integer number of milliseconds from 0 to ${MAX_TIMEOUT_MS}`;
  return z.int({ error: message }).min(0, { error: message }).max(MAX_TIMEOUT_MS, { error: message });
};

/** Absent and null both mean the default, for the fields a client may leave to the platform. */
const orDefault = <T extends z.ZodType>(schema: T, fallback: z.output<T>) => schema.nullish().transform((value) => value ?? fallback);

const portMessage = saying((port) => `port ${JSON.stringify(port)} is not an integer from 1 to 65535`);

/** Fields in the order of ContainerSpec: the order problems are reported in, and listed in every message. */
const specSchema = z.strictObject(
  {
    image: z
      .string({ error: "image must be a non-empty image reference" })
      .refine((image) => image.trim() !== "", { error: "image must be a non-empty image reference" }),
    env: stringRecord("env")
      .default({})
      .check((context) => {
        for (const [key, value] of Object.entries(context.value)) {
          if (!ENV_NAME.test(key)) context.issues.push({ code: "custom", input: key, message: `env name "${key}" is not a valid variable name` });
          else if (typeof value === "string" && value.includes("\0"))
            context.issues.push({ code: "custom", input: key, message: `env ${key} contains a NUL byte` });
        }
      }),
    entrypoint: stringArray("entrypoint").optional(),
    cmd: stringArray("cmd").optional(),
    instanceType: orDefault(
      z.enum(
        INSTANCE_TYPE_NAMES,
        saying((type) => `unknown instance type ${JSON.stringify(type)}; use one of ${describeInstanceTypes()}`),
      ),
      DEFAULT_INSTANCE_TYPE,
    ),
    platform: orDefault(
      z.enum(
        PLATFORMS,
        saying((platform) => `platform must be one of ${PLATFORMS.join(", ")}, not ${JSON.stringify(platform)}`),
      ),
      DEFAULT_PLATFORM,
    ),
    network: orDefault(
      z.custom<NetworkMode>(
        isNetworkMode,
        saying(
          (network) =>
            `network must be one of ${NETWORK_MODES.join(", ")} or ${NAMED_NETWORK_PREFIX}<name of a user-defined Docker network>, not ${JSON.stringify(network)}`,
        ),
      ),
      DEFAULT_NETWORK,
    ),
    ports: z
      .array(z.int(portMessage).min(1, portMessage).max(65535, portMessage), { error: "ports must be an array of container ports (use [] for none)" })
      .refine((ports) => new Set(ports).size === ports.length, { error: "ports must not repeat" }),
    labels: stringRecord("labels")
      .default({})
      .check((context) => {
        const reserved = Object.keys(context.value).filter((key) => key.startsWith("moltlab."));
        if (reserved.length)
          context.issues.push({ code: "custom", input: reserved, message: `labels ${reserved.join(", ")} are reserved for the platform (moltlab.*)` });
      }),
    waitForPorts: z.boolean({ error: "waitForPorts must be true or false" }).default(true),
    portReadyTimeoutMs: milliseconds("portReadyTimeoutMs").default(DEFAULT_PORT_READY_TIMEOUT_MS),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? unknownFields(issue.keys) : "the spec must be a JSON object") },
);

const signalSchema = z.enum(
  ACCEPTED_SIGNALS,
  saying((signal) => `signal ${JSON.stringify(signal)} is not one of ${ACCEPTED_SIGNALS.join(", ")}`),
);

const stopSchema = z.strictObject(
  {
    signal: signalSchema.default("SIGTERM"),
    timeoutMs: milliseconds("timeoutMs").default(DEFAULT_STOP_TIMEOUT_MS),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? unknownFields(issue.keys) : "stop options must be a JSON object") },
);

function unknownFields(keys: readonly string[]): string {
  return `unknown field${keys.length > 1 ? "s" : ""} ${keys.join(", ")}`;
}

/**
 * The parsed body, or a PlatformError with its first problem: `invalid_spec` with the fix and
 * the accepted fields, unless the field has an error code of its own (`codes`).
 */
function parseRequest<S extends z.ZodObject>(schema: S, input: unknown, codes: Partial<Record<keyof S["shape"], PlatformErrorCode>> = {}): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const { issues } = result.error;
  // zod reports unknown keys after the fields' problems; a misspelt field explains those, so it goes first.
  const issue = issues.find((item) => item.code === "unrecognized_keys") ?? issues[0]!;
  const code = codes[issue.path[0] as keyof S["shape"]];
  if (code) throw new PlatformError(code, issue.message);
  throw new PlatformError("invalid_spec", `${issue.message}; fix the request body (fields: ${Object.keys(schema.shape).join(", ")})`);
}

export function validateSpec(input: unknown): NormalizedSpec {
  return parseRequest(specSchema, input, { instanceType: "unknown_instance_type" });
}

export function validateSignal(signal: unknown): string {
  const result = signalSchema.safeParse(signal);
  if (result.success) return result.data;
  throw new PlatformError("invalid_signal", result.error.issues[0]!.message);
}

/** An empty body (undefined, null) means every default. */
export function validateStopOptions(input: unknown): Required<PlatformStopOptions> {
  return parseRequest(stopSchema, input ?? {}, { signal: "invalid_signal" });
}

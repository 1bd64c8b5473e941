/**
 * What each docker-compose.yml service is configured with, read from its container's
 * environment (set by the compose file, never on a command line). Pure, so it is unit-tested;
 * compose-service.ts does the starting.
 *
 * Shared between services, and so fixed in the compose file (local-only dev values,
 * overridable): the R2 credentials, the Access audience and the platform token. Generated here
 * per run: the gateway token and the key the AI Gateway emulator is sent.
 */
import { z } from "zod";
import { isNetworkMode, type NetworkMode } from "../platform/client/types.ts";
import { parseOptionsWithFixes } from "../core/options.ts";
import { randomSecret } from "../core/secret.ts";
import { ARCHES, type Arch } from "../contract/arch.ts";
import type { InstanceType } from "../contract/instance-types.ts";
import { OPENCLAW_VERSION } from "../contract/openclaw.ts";
import { openclawImageFor, type OpenClawImage } from "./image.ts";
import { ANY_HOST } from "./network.ts";
import { providerFromEnv, type Provider } from "./provider.ts";
import { serviceR2, type R2StandIn } from "./r2.ts";
import { localGatewayModel, workerEnv, type WorkerModel } from "./worker-env.ts";
import { UserError } from "../core/errors.ts";

/** Ports inside the services' containers; the host ports are the compose file's business. */
export const SERVICE_PORTS = { aiGateway: 8789, r2: 9000, platform: 8790 } as const;

const FIX = "set it in docker-compose.yml (the `environment` of the service), or use the compose file as shipped";

/** The settings `schema` reads from `env`, or a UserError naming every variable that is missing or wrong, with the fixes. */
function fromEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  return parseOptionsWithFixes(schema, env, FIX);
}

/** A variable the compose file sets: trimmed, not empty. */
function setVar(name: string) {
  const notSet = `${name} is not set in this service's environment`;
  return z.string({ error: notSet }).trim().min(1, { error: notSet, abort: true });
}

function portVar(name: string) {
  return setVar(name)
    .refine((text) => /^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 65535, {
      error: (issue) => `${name}=${String(issue.input)} is not a port number`,
      params: { fix: `set ${name} to a port from 1 to 65535` },
    })
    .transform(Number);
}

/** A transform that lets through what `ok` accepts (typed as such), else an issue with its own fix. */
function only<T extends string>(ok: (value: string) => value is T, message: (value: string) => string, fix: string) {
  return (value: string, context: z.RefinementCtx): T => {
    if (ok(value)) return value;
    context.issues.push({ code: "custom", message: message(value), input: value, params: { fix } });
    return z.NEVER;
  };
}

const isArch = (value: string): value is Arch => (ARCHES as readonly string[]).includes(value);

/** The OpenClaw image the platform runs: `npm run image` makes it on the host. */
const IMAGE = {
  MOLTLAB_OPENCLAW_ARCH: z
    .string()
    .optional()
    .transform((raw) => (raw?.trim() || "amd64").replace(/^linux\//, ""))
    .transform(only(isArch, (arch) => `MOLTLAB_OPENCLAW_ARCH=${arch} is not amd64 or arm64`, "unset it (amd64, like Cloudflare) or set it to arm64")),
  MOLTLAB_OPENCLAW_VERSION: z
    .string()
    .optional()
    .transform((raw) => raw?.trim() || OPENCLAW_VERSION),
};
const toImage = (values: { MOLTLAB_OPENCLAW_ARCH: Arch; MOLTLAB_OPENCLAW_VERSION: string }) =>
  openclawImageFor(values.MOLTLAB_OPENCLAW_ARCH, values.MOLTLAB_OPENCLAW_VERSION);

export function openclawImageFromEnv(env: NodeJS.ProcessEnv): OpenClawImage {
  return toImage(fromEnv(z.object(IMAGE), env));
}

export interface AccessSettings {
  port: number;
  audience: string;
}

/** The Access emulator listens on the port the browser uses: its team domain is http://127.0.0.1:<port>. */
export function accessSettings(env: NodeJS.ProcessEnv): AccessSettings {
  const values = fromEnv(z.object({ MOLTLAB_ACCESS_PORT: portVar("MOLTLAB_ACCESS_PORT"), CF_ACCESS_AUD: setVar("CF_ACCESS_AUD") }), env);
  return { port: values.MOLTLAB_ACCESS_PORT, audience: values.CF_ACCESS_AUD };
}

export interface R2Settings {
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const R2 = { R2_BUCKET_NAME: setVar("R2_BUCKET_NAME"), R2_ACCESS_KEY_ID: setVar("R2_ACCESS_KEY_ID"), R2_SECRET_ACCESS_KEY: setVar("R2_SECRET_ACCESS_KEY") };
const toR2 = (values: { R2_BUCKET_NAME: string; R2_ACCESS_KEY_ID: string; R2_SECRET_ACCESS_KEY: string }): R2Settings => ({
  bucket: values.R2_BUCKET_NAME,
  accessKeyId: values.R2_ACCESS_KEY_ID,
  secretAccessKey: values.R2_SECRET_ACCESS_KEY,
});

/** The offline stand-in also needs the names other containers reach it by (its S3 API checks the Host). */
export function r2ServerSettings(env: NodeJS.ProcessEnv): R2Settings & { hostnames: string[] } {
  const values = fromEnv(z.object({ ...R2, MOLTLAB_R2_HOSTNAMES: setVar("MOLTLAB_R2_HOSTNAMES") }), env);
  return {
    ...toR2(values),
    hostnames: values.MOLTLAB_R2_HOSTNAMES.split(",")
      .map((name) => name.trim())
      .filter(Boolean),
  };
}

export interface PlatformSettings {
  token: string;
  namePrefix: string;
  image: OpenClawImage;
}

export function platformSettings(env: NodeJS.ProcessEnv): PlatformSettings {
  const values = fromEnv(
    z.object({ MOLTLAB_PLATFORM_TOKEN: setVar("MOLTLAB_PLATFORM_TOKEN"), MOLTLAB_PLATFORM_NAME_PREFIX: setVar("MOLTLAB_PLATFORM_NAME_PREFIX"), ...IMAGE }),
    env,
  );
  return { token: values.MOLTLAB_PLATFORM_TOKEN, namePrefix: values.MOLTLAB_PLATFORM_NAME_PREFIX, image: toImage(values) };
}

const WORKER = z.object({
  MOLTLAB_WORKER_PORT: portVar("MOLTLAB_WORKER_PORT"),
  ...IMAGE,
  MOLTLAB_CONTAINERS_NETWORK: setVar("MOLTLAB_CONTAINERS_NETWORK").transform(
    only(
      isNetworkMode,
      (network) => `MOLTLAB_CONTAINERS_NETWORK=${network} is not a network mode of the Containers platform`,
      "set it to network:<the compose network OpenClaw joins>",
    ),
  ),
  ...R2,
  R2_ENDPOINT: setVar("R2_ENDPOINT"),
  CF_ACCESS_TEAM_DOMAIN: setVar("CF_ACCESS_TEAM_DOMAIN"),
  CF_ACCESS_AUD: setVar("CF_ACCESS_AUD"),
  MOLTLAB_CONTAINERS_URL: setVar("MOLTLAB_CONTAINERS_URL"),
  MOLTLAB_PLATFORM_TOKEN: setVar("MOLTLAB_PLATFORM_TOKEN"),
});
/** Where OpenClaw reaches the AI Gateway emulator: needed only when it serves the model. */
const AI_GATEWAY = z.object({ MOLTLAB_AI_GATEWAY_URL: setVar("MOLTLAB_AI_GATEWAY_URL") });

export interface WorkerSettings {
  port: number;
  /** The Worker as the user's browser reaches it (its port is published on the host's loopback). */
  url: string;
  provider: Provider;
  /** The ai-gateway service replays a cassette or records (it serves the model even with a real provider's settings). */
  tape?: "replay" | "record";
  image: OpenClawImage;
  network: NetworkMode;
  /** OpenClaw's bucket: the r2 service. */
  r2: R2StandIn;
  /** wrangler vars (plain settings). */
  vars: Record<string, string>;
  /** .dev.vars: secrets, and the settings shared with other services. */
  secrets: Record<string, string>;
  /** MOLTBOT_GATEWAY_TOKEN, generated for this run. */
  gatewayToken: string;
}

/**
 * The worker service's Worker: the same vars and secrets as `npm run dev`'s (worker-env.ts),
 * pointing at the other services by their compose names. `instanceType` is wrangler.jsonc's,
 * which the platform applies (MOLTLAB_INSTANCE_TYPE).
 */
export function workerSettings(env: NodeJS.ProcessEnv, secret: (bytes: number) => string = randomSecret, instanceType?: InstanceType): WorkerSettings {
  const values = fromEnv(WORKER, env);
  const provider = providerFromEnv(env);
  const image = toImage(values);
  const network = values.MOLTLAB_CONTAINERS_NETWORK;
  const gatewayToken = secret(24);
  const tape = gatewayTape(env);
  // The ai-gateway service serves the model when it emulates, replays or records (compose/cassette.yml, compose/record.yml).
  const model: WorkerModel =
    provider.kind === "emulator" || tape ? localGatewayModel(provider, fromEnv(AI_GATEWAY, env).MOLTLAB_AI_GATEWAY_URL, secret) : provider;
  // The binding's own bucket is wrangler's (unused by moltworker); OpenClaw's is the r2 service.
  const r2 = serviceR2({ ...toR2(values), endpoint: values.R2_ENDPOINT }, { accessKeyId: secret(16), secretAccessKey: secret(32) });
  const { vars, secrets } = workerEnv({
    listenOn: ANY_HOST,
    access: { teamDomain: values.CF_ACCESS_TEAM_DOMAIN, audience: values.CF_ACCESS_AUD },
    platform: { url: values.MOLTLAB_CONTAINERS_URL, token: values.MOLTLAB_PLATFORM_TOKEN },
    image,
    network,
    instanceType,
    r2,
    model,
    gatewayToken,
  });
  return {
    port: values.MOLTLAB_WORKER_PORT,
    url: `http://127.0.0.1:${values.MOLTLAB_WORKER_PORT}`,
    provider,
    ...(tape ? { tape } : {}),
    image,
    network,
    r2,
    vars,
    secrets,
    gatewayToken,
  };
}

/** MOLTLAB_AI_GATEWAY_TAPE, set by compose/cassette.yml (replay) or compose/record.yml (record). */
function gatewayTape(env: NodeJS.ProcessEnv): "replay" | "record" | undefined {
  const tape = env.MOLTLAB_AI_GATEWAY_TAPE;
  if (!tape) return undefined;
  if (tape === "replay" || tape === "record") return tape;
  throw new UserError(
    `MOLTLAB_AI_GATEWAY_TAPE=${tape} is not replay or record`,
    "layer compose/cassette.yml (replay) or compose/record.yml (record) over docker-compose.yml, which set it",
  );
}

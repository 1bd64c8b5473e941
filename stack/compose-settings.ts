/**
 * What each docker-compose.yml service is configured with, read from its container's
 * environment (set by the compose file, never on a command line). Pure, so it is unit-tested;
 * compose-service.ts does the starting.
 *
 * Shared between services, and so fixed in the compose file (local-only dev values,
 * overridable): the R2 credentials, the Access audience and the platform token. Generated here
 * per run: the gateway token and the key the AI Gateway emulator is sent.
 */
import { isNetworkMode, type NetworkMode } from "../platform/client/types.ts";
import { UserError } from "../core/errors.ts";
import { randomSecret } from "../core/secret.ts";
import { ARCHES, type Arch } from "../contract/arch.ts";
import type { InstanceType } from "../contract/instance-types.ts";
import { OPENCLAW_VERSION } from "../contract/openclaw.ts";
import { openclawImageFor, type OpenClawImage } from "./image.ts";
import { ANY_HOST } from "./network.ts";
import { providerFromEnv, type Provider } from "./provider.ts";
import { serviceR2, type R2StandIn } from "./r2.ts";
import { emulatorKey, workerEnv, type WorkerModel } from "./worker-env.ts";

/** Ports inside the services' containers; the host ports are the compose file's business. */
export const SERVICE_PORTS = { aiGateway: 8789, r2: 9000, platform: 8790 } as const;

const FIX = "set it in docker-compose.yml (the `environment` of the service), or use the compose file as shipped";

export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new UserError(`${name} is not set in this service's environment`, FIX);
  return value;
}

export function port(env: NodeJS.ProcessEnv, name: string): number {
  const text = required(env, name);
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new UserError(`${name}=${text} is not a port number`, `set ${name} to a port from 1 to 65535`);
  return Number(text);
}

/** The OpenClaw image the platform runs: `npm run image` makes it on the host. */
export function openclawImageFromEnv(env: NodeJS.ProcessEnv): OpenClawImage {
  const arch = (env.MOLTLAB_OPENCLAW_ARCH?.trim() || "amd64").replace(/^linux\//, "");
  if (!(ARCHES as readonly string[]).includes(arch)) {
    throw new UserError(`MOLTLAB_OPENCLAW_ARCH=${arch} is not amd64 or arm64`, "unset it (amd64, like Cloudflare) or set it to arm64");
  }
  return openclawImageFor(arch as Arch, env.MOLTLAB_OPENCLAW_VERSION?.trim() || OPENCLAW_VERSION);
}

export interface AccessSettings {
  port: number;
  audience: string;
}

/** The Access emulator listens on the port the browser uses: its team domain is http://127.0.0.1:<port>. */
export function accessSettings(env: NodeJS.ProcessEnv): AccessSettings {
  return { port: port(env, "MOLTLAB_ACCESS_PORT"), audience: required(env, "CF_ACCESS_AUD") };
}

export interface R2Settings {
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export function r2Settings(env: NodeJS.ProcessEnv): R2Settings {
  return { bucket: required(env, "R2_BUCKET_NAME"), accessKeyId: required(env, "R2_ACCESS_KEY_ID"), secretAccessKey: required(env, "R2_SECRET_ACCESS_KEY") };
}

/** The offline stand-in also needs the names other containers reach it by (its S3 API checks the Host). */
export function r2ServerSettings(env: NodeJS.ProcessEnv): R2Settings & { hostnames: string[] } {
  const hostnames = required(env, "MOLTLAB_R2_HOSTNAMES").split(",").map((name) => name.trim()).filter(Boolean);
  return { ...r2Settings(env), hostnames };
}

export interface PlatformSettings {
  token: string;
  namePrefix: string;
  image: OpenClawImage;
}

export function platformSettings(env: NodeJS.ProcessEnv): PlatformSettings {
  return { token: required(env, "MOLTLAB_PLATFORM_TOKEN"), namePrefix: required(env, "MOLTLAB_PLATFORM_NAME_PREFIX"), image: openclawImageFromEnv(env) };
}

export interface WorkerSettings {
  port: number;
  /** The Worker as the user's browser reaches it (its port is published on the host's loopback). */
  url: string;
  provider: Provider;
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
  const workerPort = port(env, "MOLTLAB_WORKER_PORT");
  const provider = providerFromEnv(env);
  const image = openclawImageFromEnv(env);
  const network = required(env, "MOLTLAB_CONTAINERS_NETWORK");
  if (!isNetworkMode(network)) throw new UserError(`MOLTLAB_CONTAINERS_NETWORK=${network} is not a network mode of the Containers platform`, "set it to network:<the compose network OpenClaw joins>");
  const service = { ...r2Settings(env), endpoint: required(env, "R2_ENDPOINT") };
  const gatewayToken = secret(24);
  const model: WorkerModel = provider.kind === "emulator" ? { kind: "emulator", baseUrl: required(env, "MOLTLAB_AI_GATEWAY_URL"), apiKey: emulatorKey(secret) } : provider;
  // The binding's own bucket is wrangler's (unused by moltworker); OpenClaw's is the r2 service.
  const r2 = serviceR2(service, { accessKeyId: secret(16), secretAccessKey: secret(32) });
  const { vars, secrets } = workerEnv({
    listenOn: ANY_HOST,
    access: { teamDomain: required(env, "CF_ACCESS_TEAM_DOMAIN"), audience: required(env, "CF_ACCESS_AUD") },
    platform: { url: required(env, "MOLTLAB_CONTAINERS_URL"), token: required(env, "MOLTLAB_PLATFORM_TOKEN") },
    image, network, instanceType, r2, model, gatewayToken,
  });
  return { port: workerPort, url: `http://127.0.0.1:${workerPort}`, provider, image, network, r2, vars, secrets, gatewayToken };
}

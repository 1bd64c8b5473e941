/**
 * What each docker-compose.yml service is configured with, read from its container's
 * environment (set by the compose file, never on a command line). Pure, so it is unit-tested;
 * compose-service.ts does the starting.
 *
 * Shared between services, and so fixed in the compose file (local-only dev values,
 * overridable): the R2 credentials, the Access audience and the platform token. Generated here
 * per run: the gateway token and the key the AI Gateway emulator is sent.
 */
import { DEFAULT_ACCOUNT, DEFAULT_GATEWAY } from "../emulators/ai-gateway/handlers.ts";
import { isNetworkMode, type NetworkMode } from "../platform/client/types.ts";
import { UserError } from "../core/errors.ts";
import { randomSecret } from "../core/secret.ts";
import { EMULATED_MODEL, providerFromEnv, type Provider } from "./provider.ts";
import { OPENCLAW_VERSION, openclawImage } from "../contract/openclaw.ts";
import { ARCHES, type Arch } from "../contract/arch.ts";
import { STOP_TIMEOUT_MS } from "../contract/lifecycle.ts";

/** Ports inside the services' containers; the host ports are the compose file's business. */
export const SERVICE_PORTS = { aiGateway: 8789, r2: 9000, platform: 8790 } as const;
/** Every service listens on all of its container's interfaces: Docker forwards published ports to them. */
export const ANY_HOST = "0.0.0.0";

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
export function openclawImageFromEnv(env: NodeJS.ProcessEnv): { tag: string; version: string; arch: Arch; platform: `linux/${Arch}`; buildCommand: string } {
  const arch = (env.MOLTLAB_OPENCLAW_ARCH?.trim() || "amd64").replace(/^linux\//, "");
  if (!(ARCHES as readonly string[]).includes(arch)) {
    throw new UserError(`MOLTLAB_OPENCLAW_ARCH=${arch} is not amd64 or arm64`, "unset it (amd64, like Cloudflare) or set it to arm64");
  }
  const version = env.MOLTLAB_OPENCLAW_VERSION?.trim() || OPENCLAW_VERSION;
  const buildCommand = `npm run image -- --platform ${arch}${version === OPENCLAW_VERSION ? "" : ` --openclaw ${version}`}`;
  return { tag: openclawImage(version, arch as Arch), version, arch: arch as Arch, platform: `linux/${arch as Arch}`, buildCommand };
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
  image: ReturnType<typeof openclawImageFromEnv>;
}

export function platformSettings(env: NodeJS.ProcessEnv): PlatformSettings {
  return { token: required(env, "MOLTLAB_PLATFORM_TOKEN"), namePrefix: required(env, "MOLTLAB_PLATFORM_NAME_PREFIX"), image: openclawImageFromEnv(env) };
}

export interface WorkerSettings {
  port: number;
  /** The Worker as the user's browser reaches it (its port is published on the host's loopback). */
  url: string;
  provider: Provider;
  image: ReturnType<typeof openclawImageFromEnv>;
  network: NetworkMode;
  r2: R2Settings & { endpoint: string };
  /** wrangler vars (plain settings). */
  vars: Record<string, string>;
  /** .dev.vars: secrets, and the settings shared with other services. */
  secrets: Record<string, string>;
  /** MOLTBOT_GATEWAY_TOKEN, generated for this run. */
  gatewayToken: string;
}

export function workerSettings(env: NodeJS.ProcessEnv, secret: (bytes: number) => string = randomSecret): WorkerSettings {
  const workerPort = port(env, "MOLTLAB_WORKER_PORT");
  const provider = providerFromEnv(env);
  const image = openclawImageFromEnv(env);
  const network = required(env, "MOLTLAB_CONTAINERS_NETWORK");
  if (!isNetworkMode(network)) throw new UserError(`MOLTLAB_CONTAINERS_NETWORK=${network} is not a network mode of the Containers platform`, "set it to network:<the compose network OpenClaw joins>");
  const r2 = { ...r2Settings(env), endpoint: required(env, "R2_ENDPOINT") };
  const gatewayToken = secret(24);
  const emulated = provider.kind === "emulator";
  const vars: Record<string, string> = {
    CF_ACCESS_TEAM_DOMAIN: required(env, "CF_ACCESS_TEAM_DOMAIN"),
    MOLTLAB_CONTAINERS_URL: required(env, "MOLTLAB_CONTAINERS_URL"),
    MOLTLAB_CONTAINER_IMAGE: image.tag,
    MOLTLAB_CONTAINER_PLATFORM: image.platform,
    MOLTLAB_CONTAINERS_NETWORK: network,
    R2_ENDPOINT: r2.endpoint,
    R2_BUCKET_NAME: r2.bucket,
    ...(emulated
      ? { CF_AI_GATEWAY_ACCOUNT_ID: DEFAULT_ACCOUNT, CF_AI_GATEWAY_GATEWAY_ID: DEFAULT_GATEWAY, CF_AI_GATEWAY_MODEL: EMULATED_MODEL, CF_AI_GATEWAY_BASE_URL: required(env, "MOLTLAB_AI_GATEWAY_URL") }
      : provider.kind === "ai-gateway" ? provider.vars : {}),
  };
  const secrets: Record<string, string> = {
    MOLTBOT_GATEWAY_TOKEN: gatewayToken,
    MOLTLAB_PLATFORM_TOKEN: required(env, "MOLTLAB_PLATFORM_TOKEN"),
    CF_ACCESS_AUD: required(env, "CF_ACCESS_AUD"),
    R2_ACCESS_KEY_ID: r2.accessKeyId,
    R2_SECRET_ACCESS_KEY: r2.secretAccessKey,
    // The emulator accepts any key; a fresh one per run keeps it out of every file in the repository.
    ...(emulated ? { CLOUDFLARE_AI_GATEWAY_API_KEY: `sk-moltlab-${secret(16)}` } : provider.secrets),
  };
  return { port: workerPort, url: `http://127.0.0.1:${workerPort}`, provider, image, network, r2, vars, secrets, gatewayToken };
}

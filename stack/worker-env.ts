/**
 * The Worker's vars and secrets — one builder for `npm run dev` (sandbox.ts) and the compose
 * worker service (compose-settings.ts): what moltworker's Worker needs (Access, R2, the model
 * provider, the gateway token) plus moltlab's own settings for the local Containers platform.
 * Vars go into the generated wrangler config, secrets into .dev.vars (sandbox-config.ts).
 * Pure: every value, secrets included, comes from the caller.
 */
import { DEFAULT_ACCOUNT, DEFAULT_GATEWAY } from "../emulators/ai-gateway/handlers.ts";
import type { NetworkMode } from "../platform/client/types.ts";
import type { InstanceType } from "../contract/instance-types.ts";
import { EMULATED_MODEL, type Provider } from "./provider.ts";
import type { R2StandIn } from "./r2.ts";
import { devServerVars } from "./sandbox-config.ts";

/** The model as the Worker gets it: the AI Gateway emulator (at its URL as the container sees it), or a real provider. */
export type WorkerModel = { kind: "emulator"; baseUrl: string; apiKey: string } | Exclude<Provider, { kind: "emulator" }>;

export interface WorkerWiring {
  /** Where wrangler dev listens: the loopback marker only for a loopback address (devServerVars). */
  listenOn: string;
  /** DEV_MODE=true: Cloudflare Access skipped (honoured only with the loopback marker). */
  devMode?: boolean;
  /** SANDBOX_SLEEP_AFTER: stop the container after this much inactivity (the Worker parses it). */
  sleepAfter?: string;
  access: { teamDomain: string; audience: string };
  platform: { url: string; token: string };
  image: { tag: string; platform: string };
  network: NetworkMode;
  /** The CPU and memory the platform gives OpenClaw (wrangler.jsonc's instance_type, which the Worker never sees). */
  instanceType?: InstanceType;
  r2: R2StandIn;
  model: WorkerModel;
  /** MOLTBOT_GATEWAY_TOKEN, per run. */
  gatewayToken: string;
}

export interface WorkerEnv {
  vars: Record<string, string>;
  secrets: Record<string, string>;
}

/** The key the AI Gateway emulator is sent: it accepts any, and a fresh one per run keeps it out of every file in the repository. */
export function emulatorKey(secret: (bytes: number) => string): string {
  return `sk-moltlab-${secret(16)}`;
}

export function workerEnv(wiring: WorkerWiring): WorkerEnv {
  const { model } = wiring;
  const vars: Record<string, string> = {
    ...devServerVars(wiring.listenOn),
    ...(wiring.devMode ? { DEV_MODE: "true" } : {}),
    ...(wiring.sleepAfter ? { SANDBOX_SLEEP_AFTER: wiring.sleepAfter } : {}),
    CF_ACCESS_TEAM_DOMAIN: wiring.access.teamDomain,
    MOLTLAB_CONTAINERS_URL: wiring.platform.url,
    MOLTLAB_CONTAINER_IMAGE: wiring.image.tag,
    MOLTLAB_CONTAINER_PLATFORM: wiring.image.platform,
    MOLTLAB_CONTAINERS_NETWORK: wiring.network,
    ...(wiring.instanceType ? { MOLTLAB_INSTANCE_TYPE: wiring.instanceType } : {}),
    R2_ENDPOINT: wiring.r2.endpoint,
    R2_BUCKET_NAME: wiring.r2.bucket,
    ...(model.kind === "emulator"
      ? {
          CF_AI_GATEWAY_ACCOUNT_ID: DEFAULT_ACCOUNT,
          CF_AI_GATEWAY_GATEWAY_ID: DEFAULT_GATEWAY,
          CF_AI_GATEWAY_MODEL: EMULATED_MODEL,
          CF_AI_GATEWAY_BASE_URL: model.baseUrl,
        }
      : model.kind === "ai-gateway"
        ? model.vars
        : {}),
  };
  const secrets: Record<string, string> = {
    MOLTBOT_GATEWAY_TOKEN: wiring.gatewayToken,
    MOLTLAB_PLATFORM_TOKEN: wiring.platform.token,
    CF_ACCESS_AUD: wiring.access.audience,
    R2_ACCESS_KEY_ID: wiring.r2.accessKeyId,
    R2_SECRET_ACCESS_KEY: wiring.r2.secretAccessKey,
    ...(model.kind === "emulator" ? { CLOUDFLARE_AI_GATEWAY_API_KEY: model.apiKey } : model.secrets),
  };
  return { vars, secrets };
}

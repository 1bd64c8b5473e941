/**
 * What `wrangler dev` gets for the local sandbox: worker/wrangler.jsonc's `env.local`, with
 * absolute paths (the generated file lives in a temp dir), the R2 bucket also served over S3
 * (`local_dev.experimental_s3_credentials`, the same bucket as the Worker's binding), and the
 * run's settings as vars; secrets go to a .dev.vars beside it. Pure, so it is unit-tested.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseJson5 } from "../core/json5.ts";
import { describeInstanceTypes, isInstanceType, type InstanceType } from "../contract/instance-types.ts";
import { UserError } from "../core/errors.ts";
import { ROOT } from "../core/host.ts";
import { DEV_SERVER_BINDING, LOOPBACK_DEV_SERVER } from "../contract/dev-server.ts";

export const WORKER_CONFIG = join(ROOT, "worker/wrangler.jsonc");
export const ENVIRONMENT = "local";

interface R2Binding {
  binding: string;
  bucket_name: string;
  [key: string]: unknown;
}

export interface WranglerConfig {
  main: string;
  assets?: { directory: string; [key: string]: unknown };
  containers?: unknown;
  env?: Record<string, { vars?: Record<string, string>; r2_buckets?: R2Binding[]; [key: string]: unknown }>;
  [key: string]: unknown;
}

export interface R2Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export function readWorkerConfig(path: string = WORKER_CONFIG): WranglerConfig {
  return parseJson5(readFileSync(path, "utf8")) as WranglerConfig;
}

/**
 * The Sandbox container's `instance_type` in wrangler.jsonc: Cloudflare applies it at deploy
 * time and the Worker never sees it, so the local platform gets it as MOLTLAB_INSTANCE_TYPE.
 */
export function instanceTypeOf(config: WranglerConfig): InstanceType {
  const containers = Array.isArray(config.containers) ? (config.containers as { class_name?: string; instance_type?: unknown }[]) : [];
  const type = containers.find((item) => item.class_name === "Sandbox")?.instance_type;
  if (!isInstanceType(type)) {
    const what =
      type === undefined
        ? "has no instance_type for the Sandbox container"
        : `containers[].instance_type ${JSON.stringify(type)} is not a named instance type (custom types are not emulated)`;
    throw new UserError(`${WORKER_CONFIG} ${what}`, `set "instance_type" to one of ${describeInstanceTypes()}`);
  }
  return type;
}

/** The Worker's R2 binding: what moltworker stores OpenClaw's state through. */
export const BUCKET_BINDING = "MOLTBOT_BUCKET";

/** The bucket of the `MOLTBOT_BUCKET` binding in env.local (moltworker's `moltbot-data`). */
export function bucketOf(config: WranglerConfig): string {
  const bucket = config.env?.[ENVIRONMENT]?.r2_buckets?.find((item) => item.binding === BUCKET_BINDING)?.bucket_name;
  if (!bucket) throw new Error(`${WORKER_CONFIG}: env.${ENVIRONMENT} has no ${BUCKET_BINDING} r2_buckets entry`);
  return bucket;
}

/**
 * The config with the `MOLTBOT_BUCKET` binding naming `bucket` (e.g. the one a Terraform apply
 * made): the binding, R2_BUCKET_NAME and the S3 endpoint then all serve that bucket, as a deploy
 * whose wrangler.jsonc names it would. Everything else stays as it was.
 */
export function withBucket(config: WranglerConfig, bucket: string): WranglerConfig {
  bucketOf(config); // the binding must be there to be renamed
  const local = config.env![ENVIRONMENT]!;
  const r2Buckets = local.r2_buckets!.map((item) => (item.binding === BUCKET_BINDING ? { ...item, bucket_name: bucket } : item));
  return { ...config, env: { ...config.env, [ENVIRONMENT]: { ...local, r2_buckets: r2Buckets } } };
}

export function sandboxWranglerConfig(
  config: WranglerConfig,
  vars: Record<string, string>,
  r2: R2Credentials,
  workerDir: string = join(ROOT, "worker"),
): object {
  const local = config.env?.[ENVIRONMENT];
  if (!local) throw new Error(`${WORKER_CONFIG} has no env.${ENVIRONMENT}`);
  // `containers` would make wrangler try to build and run them: this machine's platform does that instead.
  const { $schema: _schema, containers: _containers, env: _env, ...top } = config;
  return {
    ...top,
    main: join(workerDir, config.main),
    ...(config.assets ? { assets: { ...config.assets, directory: join(workerDir, config.assets.directory) } } : {}),
    env: {
      [ENVIRONMENT]: {
        ...local,
        vars: { ...local.vars, ...vars },
        r2_buckets: (local.r2_buckets ?? []).map((bucket) => ({
          ...bucket,
          local_dev: { experimental_s3_credentials: { accessKeyId: r2.accessKeyId, secretAccessKey: r2.secretAccessKey } },
        })),
      },
    },
  };
}

/** 127.0.0.0/8 or ::1: an address (not a name, which could resolve anywhere) only this machine can reach. */
export function isLoopbackAddress(host: string): boolean {
  return /^127(\.\d{1,3}){3}$/.test(host) || host === "::1";
}

/**
 * Vars for a `wrangler dev` that listens on `host`: the loopback marker when — and only when —
 * `host` is a loopback address, so that a Worker listening on 0.0.0.0 (docker compose) or on
 * any other interface can never have its Access check switched off by DEV_MODE. The marker
 * is not in worker/wrangler.jsonc: only the config generated here carries it.
 */
export function devServerVars(host: string): Record<string, string> {
  return isLoopbackAddress(host) ? { [DEV_SERVER_BINDING]: LOOPBACK_DEV_SERVER } : {};
}

/** .dev.vars text. Values stay unquoted-safe: anything dotenv would reinterpret is refused, naming the variable. */
export function devVars(secrets: Record<string, string>): string {
  return Object.entries(secrets)
    .map(([name, value]) => {
      if (/["'\\\r\n`$#\s]/.test(value) || value === "") {
        throw new UserError(`${name} contains a quote, backslash, space, #, $ or newline (or is empty)`, `set ${name} to the plain key value`);
      }
      return `${name}=${value}\n`;
    })
    .join("");
}

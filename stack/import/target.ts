/**
 * Where an import is written: the bucket `npm run dev` restores from (wrangler's R2 simulator
 * on the dev state folder, started here for the import and stopped after it), or a real R2
 * bucket over S3 with the credentials in the environment.
 */
import { Bucket } from "../../container/supervisor/storage.ts";
import type { Logger } from "../../container/supervisor/log.ts";
import { UserError } from "../../core/errors.ts";
import { startR2 } from "../../emulators/r2/index.ts";
import { bucketOf, readWorkerConfig } from "../sandbox-config.ts";
import { sessionRunning } from "../session.ts";

export interface ImportTarget {
  bucket: Bucket;
  /** Said in the output: which bucket this is. */
  describe: string;
  local: boolean;
  close(): Promise<void>;
}

/** Tries per request, as the supervisor's default (MOLTLAB_R2_ATTEMPTS). */
const ATTEMPTS = 4;

/** The local sandbox's bucket (worker/wrangler.jsonc's MOLTBOT_BUCKET), kept by wrangler in `persistTo`. */
export async function devTarget(persistTo: string, log: Logger): Promise<ImportTarget> {
  if (await sessionRunning(persistTo))
    throw new UserError(
      "`npm run dev` is running on the local state: its simulator holds the bucket, and a second one writing it would corrupt it; nothing was written",
      "stop `npm run dev` (Ctrl-C), import, then start it again: it restores the import",
    );
  const bucketName = bucketOf(readWorkerConfig());
  const r2 = await startR2({ backend: "wrangler", persistPath: persistTo, bucket: bucketName });
  const bucket = new Bucket(
    { endpoint: r2.endpoint, bucket: r2.bucket, accessKeyId: r2.accessKeyId, secretAccessKey: r2.secretAccessKey, prefix: "" },
    log,
    ATTEMPTS,
  );
  return {
    bucket,
    describe: `the local sandbox's bucket ${bucketName} (state in ${persistTo})`,
    local: true,
    close: async () => {
      bucket.destroy();
      await r2.stop();
    },
  };
}

export interface RemoteOptions {
  endpoint?: string;
  bucket: string;
  prefix?: string;
}

/** A real bucket: R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY from the environment (never the command line), the endpoint from --endpoint or CF_ACCOUNT_ID. */
export function remoteTarget(options: RemoteOptions, env: NodeJS.ProcessEnv, log: Logger): ImportTarget {
  const accessKeyId = env.R2_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.R2_SECRET_ACCESS_KEY?.trim();
  const account = env.CF_ACCOUNT_ID?.trim();
  const endpoint = options.endpoint ?? env.R2_ENDPOINT?.trim() ?? (account ? `https://${account}.r2.cloudflarestorage.com` : undefined);
  const missing = [
    accessKeyId ? undefined : "R2_ACCESS_KEY_ID",
    secretAccessKey ? undefined : "R2_SECRET_ACCESS_KEY",
    endpoint ? undefined : "--endpoint (or CF_ACCOUNT_ID)",
  ].filter((name) => name !== undefined);
  if (missing.length)
    throw new UserError(
      `a real bucket needs ${missing.join(", ")}`,
      "export R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY (an R2 API token's S3 credentials; not on the command line) and pass --endpoint https://<account>.r2.cloudflarestorage.com --bucket <name>",
    );
  let prefix = options.prefix ?? "";
  if (prefix && !prefix.endsWith("/")) prefix += "/";
  const bucket = new Bucket(
    { endpoint: endpoint!, bucket: options.bucket, accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey!, prefix },
    log,
    ATTEMPTS,
  );
  return {
    bucket,
    describe: `bucket ${options.bucket} at ${endpoint}${prefix ? ` under ${prefix}` : ""}`,
    local: false,
    close: async () => bucket.destroy(),
  };
}

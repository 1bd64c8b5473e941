import type { S3ClientConfig } from "@aws-sdk/client-s3";
import type { R2Backend } from "./settings.ts";

/** Everything an S3 client needs to reach the stand-in's bucket. */
export interface R2Connection {
  backend: R2Backend;
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** R2 has a single region; Cloudflare documents "auto". */
export const R2_REGION = "auto";

/**
 * AWS SDK v3 settings for the stand-in. Path-style is the only addressing the
 * simulator serves, and the SDK's default checksums wrap stream bodies in
 * aws-chunked encoding, which the simulator answers with 500: WHEN_REQUIRED keeps
 * plain bodies (real R2 accepts both).
 */
export function s3ClientConfig(connection: R2Connection): S3ClientConfig {
  return {
    endpoint: connection.endpoint,
    region: R2_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
}

/**
 * rclone 1.60 or newer, configured entirely through RCLONE_CONFIG_<REMOTE>_* variables,
 * so the secret travels in the environment and never on a command line.
 * - no_check_bucket: the simulator has no CreateBucket, and the bucket exists already.
 * - upload_cutoff 5G (rclone's maximum): single PUTs only, because the simulator cannot
 *   complete multipart uploads from Go clients (it does not decode `&#34;` in the ETags
 *   of CompleteMultipartUpload). Files above 5 GiB would still go multipart.
 */
export function rcloneEnv(connection: R2Connection, remoteName: string): Record<string, string> {
  if (!/^[A-Za-z0-9_]+$/.test(remoteName)) {
    throw new Error(`rclone remote name "${remoteName}" cannot be configured through environment variables: use letters, digits and underscores`);
  }
  const prefix = `RCLONE_CONFIG_${remoteName.toUpperCase()}_`;
  const settings: Record<string, string> = {
    TYPE: "s3",
    PROVIDER: connection.backend === "minio" ? "Minio" : "Cloudflare",
    ENV_AUTH: "false",
    ACCESS_KEY_ID: connection.accessKeyId,
    SECRET_ACCESS_KEY: connection.secretAccessKey,
    ENDPOINT: connection.endpoint,
    REGION: R2_REGION,
    FORCE_PATH_STYLE: "true",
    NO_CHECK_BUCKET: "true",
    UPLOAD_CUTOFF: "5G",
  };
  return Object.fromEntries(Object.entries(settings).map(([key, value]) => [prefix + key, value]));
}

/**
 * moltworker's R2 variables (Worker secrets, forwarded to the container unchanged).
 * Upstream derives the endpoint from CF_ACCOUNT_ID (https://<id>.r2.cloudflarestorage.com),
 * so a container pointed at the stand-in also needs `endpoint` by some other route.
 */
export function moltworkerEnv(connection: R2Connection, accountId: string): Record<string, string> {
  return {
    R2_ACCESS_KEY_ID: connection.accessKeyId,
    R2_SECRET_ACCESS_KEY: connection.secretAccessKey,
    R2_BUCKET_NAME: connection.bucket,
    CF_ACCOUNT_ID: accountId,
  };
}

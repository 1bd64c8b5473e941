import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect, promisify } from "node:util";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException, type S3ClientConfig } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import { UserError } from "../../core/errors.ts";
import { MINIFLARE_S3_PREFIX, r2BackendFromEnv, startR2, type StartedR2 } from "./index.ts";

const started: StartedR2[] = [];
const clients: S3Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(started.splice(0).map((r2) => r2.stop()));
});

/** These tests are about the default backend itself, whatever MOLTLAB_R2_BACKEND says. */
async function start(options: Parameters<typeof startR2>[0] = {}): Promise<StartedR2> {
  const r2 = await startR2({ backend: "miniflare", ...options });
  started.push(r2);
  return r2;
}

function client(config: S3ClientConfig): S3Client {
  const s3 = new S3Client(config);
  clients.push(s3);
  return s3;
}

/** The SDK's error for a request that must fail: an S3 error, or (for a non-S3 answer) a deserialization error; both carry $metadata. */
async function failure(promise: Promise<unknown>): Promise<Error & Pick<S3ServiceException, "$metadata">> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  expect(error).toHaveProperty("$metadata.httpStatusCode");
  return error as Error & Pick<S3ServiceException, "$metadata">;
}

function r2TempDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith("moltlab-r2-"));
}

describe("startR2 (Miniflare backend)", () => {
  it("serves moltbot-data on loopback with random R2-shaped credentials and the S3 prefix in the endpoint", async () => {
    const r2 = await start();
    const other = await start();
    expect(r2.backend).toBe("miniflare");
    expect(r2.bucket).toBe("moltbot-data");
    expect(r2.region).toBe("auto");
    expect(r2.host).toBe("127.0.0.1");
    expect(r2.url).toBe(`http://127.0.0.1:${r2.port}`);
    expect(r2.endpoint).toBe(`${r2.url}/cdn-cgi/local/r2/s3`);
    expect(r2.accessKeyId).toMatch(/^[0-9a-f]{32}$/);
    expect(r2.secretAccessKey).toMatch(/^[0-9a-f]{64}$/);
    expect(other.accessKeyId).not.toBe(r2.accessKeyId);
    expect(other.secretAccessKey).not.toBe(r2.secretAccessKey);
    expect(other.port).not.toBe(r2.port);
  });

  it("stores and returns objects through the AWS SDK with s3ClientConfig()", async () => {
    const r2 = await start({ bucket: "state", accessKeyId: "moltlab-key", secretAccessKey: "moltlab-secret" });
    expect(r2.s3ClientConfig()).toMatchObject({
      endpoint: r2.endpoint,
      region: "auto",
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      credentials: { accessKeyId: "moltlab-key", secretAccessKey: "moltlab-secret" },
    });
    const s3 = client(r2.s3ClientConfig());
    await s3.send(new PutObjectCommand({ Bucket: "state", Key: "openclaw/openclaw.json", Body: "{}" }));
    const object = await s3.send(new GetObjectCommand({ Bucket: "state", Key: "openclaw/openclaw.json" }));
    expect(await object.Body!.transformToString()).toBe("{}");
  });

  it("uses the port it is given", async () => {
    const first = await start();
    const port = first.port;
    await first.stop();
    started.splice(started.indexOf(first), 1);
    const r2 = await start({ port });
    expect(r2.port).toBe(port);
    expect(r2.url).toBe(`http://127.0.0.1:${port}`);
  });

  it("keeps the secret out of logs, JSON and every process command line", async () => {
    const r2 = await start();
    expect(inspect(r2, { depth: 5 })).not.toContain(r2.secretAccessKey);
    expect(JSON.stringify(r2)).not.toContain(r2.secretAccessKey);
    expect(inspect(r2)).toContain(r2.accessKeyId);
    // workerd is running now; its command line (and every other one) must not carry the secret.
    const { stdout } = await promisify(execFile)("ps", ["-eww", "-o", "args="]);
    expect(stdout).toContain("workerd");
    expect(stdout).not.toContain(r2.secretAccessKey);
  });

  it("rejects a wrong secret with 403 SignatureDoesNotMatch and an unknown key with 401 Unauthorized", async () => {
    const r2 = await start();
    const good = r2.s3ClientConfig();
    await client(good).send(new PutObjectCommand({ Bucket: r2.bucket, Key: "k", Body: "v" }));

    const wrongSecret = await failure(
      client({ ...good, credentials: { accessKeyId: r2.accessKeyId, secretAccessKey: "0".repeat(64) } }).send(
        new GetObjectCommand({ Bucket: r2.bucket, Key: "k" }),
      ),
    );
    expect(wrongSecret).toBeInstanceOf(S3ServiceException);
    expect(wrongSecret.name).toBe("SignatureDoesNotMatch");
    expect(wrongSecret.$metadata.httpStatusCode).toBe(403);

    // Real S3 answers 403 InvalidAccessKeyId here; the simulator answers 401 (README: gaps).
    const wrongKey = await failure(
      client({ ...good, credentials: { accessKeyId: "f".repeat(32), secretAccessKey: r2.secretAccessKey } }).send(
        new GetObjectCommand({ Bucket: r2.bucket, Key: "k" }),
      ),
    );
    expect(wrongKey.name).toBe("Unauthorized");
    expect(wrongKey.$metadata.httpStatusCode).toBe(401);
  });

  it("does not reach the bucket through an endpoint without the S3 prefix, and says why", async () => {
    const r2 = await start();
    const missingPrefix = await failure(
      client({ ...r2.s3ClientConfig(), endpoint: r2.url }).send(new PutObjectCommand({ Bucket: r2.bucket, Key: "lost", Body: "v" })),
    );
    // The answer is the Worker's plain-text 404, which the SDK cannot parse as S3 XML.
    expect(missingPrefix).not.toBeInstanceOf(S3ServiceException);
    expect(missingPrefix.$metadata.httpStatusCode).toBe(404);
    const notStored = await failure(client(r2.s3ClientConfig()).send(new HeadObjectCommand({ Bucket: r2.bucket, Key: "lost" })));
    expect(notStored.$metadata.httpStatusCode).toBe(404);

    const response = await fetch(`${r2.url}/${r2.bucket}/lost`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain(`the endpoint ending in ${MINIFLARE_S3_PREFIX}`);
  });

  it("keeps data in a temp dir that stop() removes", async () => {
    const before = r2TempDirs();
    // A bucket name of its own: other test files start stand-ins (and temp dirs) at the same time.
    const bucket = `temp-dir-${process.pid}-${Date.now()}`;
    const r2 = await start({ bucket });
    await client(r2.s3ClientConfig()).send(new PutObjectCommand({ Bucket: r2.bucket, Key: "k", Body: "v" }));
    const ours = r2TempDirs()
      .filter((name) => !before.includes(name))
      .filter((name) => existsSync(join(tmpdir(), name, "r2")) && readdirSync(join(tmpdir(), name, "r2")).includes(bucket));
    expect(ours).toHaveLength(1);
    await r2.stop();
    started.splice(started.indexOf(r2), 1);
    expect(existsSync(join(tmpdir(), ours[0]!))).toBe(false);
  });

  it("keeps data in persistPath across restarts and leaves the directory in place", async () => {
    const persistPath = await mkdtemp(join(tmpdir(), "moltlab-r2-persist-test-"));
    try {
      const first = await start({ persistPath, accessKeyId: "key-1", secretAccessKey: "secret-1" });
      await client(first.s3ClientConfig()).send(new PutObjectCommand({ Bucket: first.bucket, Key: "workspace/notes.md", Body: "remember me" }));
      await first.stop();
      started.splice(started.indexOf(first), 1);
      expect(existsSync(persistPath)).toBe(true);

      const second = await start({ persistPath });
      const object = await client(second.s3ClientConfig()).send(new GetObjectCommand({ Bucket: second.bucket, Key: "workspace/notes.md" }));
      expect(await object.Body!.transformToString()).toBe("remember me");
    } finally {
      await rm(persistPath, { recursive: true, force: true });
    }
  });

  it("serves the S3 API to other host names (a compose service name) only when told them", async () => {
    const { request } = await import("node:http");
    /** A GET of the bucket with the Host a container on a Docker network sends; undici's fetch cannot set Host. */
    const asHost = (r2: StartedR2, host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const sent = request(
          { host: "127.0.0.1", port: r2.port, path: `${MINIFLARE_S3_PREFIX}/${r2.bucket}`, headers: { host: `${host}:${r2.port}` } },
          (response) => {
            let body = "";
            response
              .setEncoding("utf8")
              .on("data", (chunk: string) => (body += chunk))
              .on("end", () => resolve({ status: response.statusCode ?? 0, body }));
          },
        );
        sent.on("error", reject).end();
      });
    expect(await asHost(await start(), "r2")).toEqual({ status: 403, body: "Invalid Host header" });
    // Unsigned, so S3 refuses it, but past the host check: the SDK's signed requests then work.
    const named = await asHost(await start({ hostnames: ["r2"] }), "r2");
    expect(named.body).not.toContain("Invalid Host header");
    expect(named.status).toBeGreaterThanOrEqual(400);
  });

  it("refuses a bucket name R2 would refuse", async () => {
    await expect(startR2({ backend: "miniflare", bucket: "Moltbot_Data" })).rejects.toThrow(UserError);
  });
});

describe("r2BackendFromEnv", () => {
  it("defaults to miniflare, accepts minio and wrangler, and rejects anything else with the fix", () => {
    expect(r2BackendFromEnv({})).toBe("miniflare");
    expect(r2BackendFromEnv({ MOLTLAB_R2_BACKEND: "" })).toBe("miniflare");
    expect(r2BackendFromEnv({ MOLTLAB_R2_BACKEND: "minio" })).toBe("minio");
    expect(r2BackendFromEnv({ MOLTLAB_R2_BACKEND: "wrangler" })).toBe("wrangler");
    expect(() => r2BackendFromEnv({ MOLTLAB_R2_BACKEND: "s3rver" })).toThrow(/not one of miniflare, minio, wrangler/);
    expect(() => r2BackendFromEnv({ MOLTLAB_R2_BACKEND: "s3rver" })).toThrow(expect.objectContaining({ fix: expect.stringContaining("wrangler") }));
  });
});

describe("client settings", () => {
  it("describe rclone through RCLONE_CONFIG_<REMOTE>_* variables for single-PUT uploads", async () => {
    const r2 = await start();
    expect(r2.rcloneEnv("r2")).toEqual({
      RCLONE_CONFIG_R2_TYPE: "s3",
      RCLONE_CONFIG_R2_PROVIDER: "Cloudflare",
      RCLONE_CONFIG_R2_ENV_AUTH: "false",
      RCLONE_CONFIG_R2_ACCESS_KEY_ID: r2.accessKeyId,
      RCLONE_CONFIG_R2_SECRET_ACCESS_KEY: r2.secretAccessKey,
      RCLONE_CONFIG_R2_ENDPOINT: r2.endpoint,
      RCLONE_CONFIG_R2_REGION: "auto",
      RCLONE_CONFIG_R2_FORCE_PATH_STYLE: "true",
      RCLONE_CONFIG_R2_NO_CHECK_BUCKET: "true",
      RCLONE_CONFIG_R2_UPLOAD_CUTOFF: "5G",
    });
    expect(() => r2.rcloneEnv("my-remote")).toThrow(/letters, digits and underscores/);
  });

  it("give moltworker its R2 variables", async () => {
    const r2 = await start({ bucket: "my-bucket" });
    expect(r2.moltworkerEnv("abc")).toEqual({
      R2_ACCESS_KEY_ID: r2.accessKeyId,
      R2_SECRET_ACCESS_KEY: r2.secretAccessKey,
      R2_BUCKET_NAME: "my-bucket",
      CF_ACCOUNT_ID: "abc",
    });
    expect(r2.moltworkerEnv().CF_ACCOUNT_ID).toMatch(/^[0-9a-f]{32}$/);
  });
});

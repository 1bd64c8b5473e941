import { GenericContainer, Wait } from "testcontainers";
import { inspectImage } from "../../core/docker.ts";
import { UserError } from "../../core/errors.ts";
import { moltlabLabels } from "../../core/labels.ts";
import { R2_REGION, s3ClientConfig } from "./clients.ts";
import { urlHost } from "../../core/serve.ts";
import type { BackendServer, BackendSettings } from "./settings.ts";

/** The image is the user's: MinIO is AGPL, so moltlab never builds, ships or pulls it. */
export const MINIO_IMAGE_ENV = "MOLTLAB_MINIO_IMAGE";
export const DEFAULT_MINIO_IMAGE = "minio/minio";
const MINIO_PORT = 9000;

export function minioImage(env: NodeJS.ProcessEnv = process.env): string {
  return env[MINIO_IMAGE_ENV] || DEFAULT_MINIO_IMAGE;
}

/**
 * Testcontainers publishes ports on every interface and has no option for the host
 * address; the binding is rewritten so the server listens where `host` says (loopback
 * by default), like the Miniflare backend.
 */
class MinioContainer extends GenericContainer {
  withPublishedPort(host: string, hostPort: number): this {
    this.withExposedPorts(MINIO_PORT);
    this.hostConfig.PortBindings = { ...this.hostConfig.PortBindings, [`${MINIO_PORT}/tcp`]: [{ HostIp: host, HostPort: String(hostPort) }] };
    return this;
  }
}

/** MinIO in a container, for users whose engine can pull it. Unverified on machines without a registry. */
export async function startMinioR2(settings: BackendSettings): Promise<BackendServer> {
  const image = minioImage();
  // Checked first so that selecting MinIO without the image fails with the fix, not a pull error
  // (and so that moltlab itself never triggers a pull of an AGPL image).
  if (!(await inspectImage(image))) {
    throw new UserError(
      `MOLTLAB_R2_BACKEND=minio needs the image ${image}, which the local Docker engine does not have (or the engine is not reachable)`,
      `run \`docker pull ${image}\` yourself (MinIO is AGPL-licensed; moltlab does not fetch it), set ${MINIO_IMAGE_ENV} to an image you have, or unset MOLTLAB_R2_BACKEND to use Miniflare, Cloudflare's own R2 simulator`,
    );
  }
  let container = new MinioContainer(image)
    .withCommand(["server", "/data", "--address", `:${MINIO_PORT}`])
    // The root credentials are the S3 credentials; they go in the environment, never on a command line.
    // The region must be R2's "auto", or MinIO rejects the signatures; MINIO_REGION is the older name of the setting.
    .withEnvironment({
      MINIO_ROOT_USER: settings.accessKeyId,
      MINIO_ROOT_PASSWORD: settings.secretAccessKey,
      MINIO_SITE_REGION: R2_REGION,
      MINIO_REGION: R2_REGION,
    })
    .withLabels(moltlabLabels("test"))
    .withPublishedPort(settings.host, settings.port)
    .withWaitStrategy(Wait.forHttp("/minio/health/ready", MINIO_PORT).forStatusCode(200));
  if (settings.persistPath) container = container.withBindMounts([{ source: settings.persistPath, target: "/data" }]);
  const started = await container.start();
  const port = started.getMappedPort(MINIO_PORT);
  const url = `http://${urlHost(settings.host)}:${port}`;
  const server: BackendServer = { url, host: settings.host, port, endpoint: url, stop: async () => void (await started.stop()) };
  try {
    await createBucket(server.endpoint, settings);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** Unlike R2, MinIO starts empty: the bucket is made once, and kept when persistPath already holds it. */
async function createBucket(endpoint: string, settings: BackendSettings): Promise<void> {
  const { S3Client, CreateBucketCommand } = await import("@aws-sdk/client-s3");
  const client = new S3Client(s3ClientConfig({ backend: "minio", endpoint, ...settings }));
  try {
    await client.send(new CreateBucketCommand({ Bucket: settings.bucket }));
  } catch (error) {
    if (!(error instanceof Error && error.name === "BucketAlreadyOwnedByYou")) throw error;
  } finally {
    client.destroy();
  }
}

/**
 * moltlab's local Cloudflare Containers platform: Docker-backed sandboxes behind an
 * HTTP API on 127.0.0.1, for a Worker's Durable Object to drive (see client/http-platform-container.ts).
 */
import type Docker from "dockerode";
import { engineHost } from "../core/docker.ts";
import { UserError } from "../core/errors.ts";
import { serveFetch, type ServeOptions, type StartedServer } from "../core/serve.ts";
import { createContainersApp } from "./server/api.ts";
import { PlatformError } from "./client/errors.ts";
import { LocalContainers } from "./server/local-containers.ts";
import type { LeftoverReport } from "./server/ownership.ts";

export { createContainersApp } from "./server/api.ts";
export { HttpPlatformContainer, type PlatformContainer, type HttpPlatformContainerOptions } from "./client/http-platform-container.ts";
export { PlatformError } from "./client/errors.ts";
export { describeInstanceTypes, INSTANCE_TYPES, limitsFor, PIDS_LIMIT } from "../contract/instance-types.ts";
export { LocalContainers, type LocalContainersOptions } from "./server/local-containers.ts";
export type { Leftover, LeftoverReport } from "./server/ownership.ts";
export { demuxLogs } from "./server/docker-logs.ts";
export { dockerName, NAME_PREFIX } from "./server/docker-names.ts";
export { LABEL_CONTAINER, LABEL_OWNER, LABEL_OWNER_CONTAINER } from "./server/run-profile.ts";
export * from "./client/types.ts";

export const TOKEN_ENV = "MOLTLAB_PLATFORM_TOKEN";

export interface ContainersPlatformOptions extends ServeOptions {
  /** Bearer token for the API; default $MOLTLAB_PLATFORM_TOKEN, none when unset. */
  token?: string;
  docker?: Docker;
  /** Prefix of the Docker names (default `moltlab-sandbox-`): one per platform that must not share names. */
  namePrefix?: string;
}

export interface StartedContainersPlatform extends StartedServer {
  readonly containers: LocalContainers;
  /** What startup did with an earlier, crashed platform's containers. */
  readonly leftovers: LeftoverReport;
  readonly token: string | undefined;
  /** Stops and removes every container this platform started, then the server. */
  stop(): Promise<void>;
}

export async function startContainersPlatform(options: ContainersPlatformOptions = {}): Promise<StartedContainersPlatform> {
  const token = options.token ?? (process.env[TOKEN_ENV] || undefined);
  let created: Awaited<ReturnType<typeof LocalContainers.create>>;
  try {
    created = await LocalContainers.create({
      ...(options.docker ? { docker: options.docker } : {}),
      ...(options.namePrefix ? { namePrefix: options.namePrefix } : {}),
    });
  } catch (error) {
    if (error instanceof PlatformError && error.code === "engine_unreachable") {
      throw new UserError(
        `the Containers platform needs a Docker engine, and none answers at ${engineHost()}`,
        "run `npm run setup`, which starts or installs it",
      );
    }
    throw error;
  }
  const { containers, leftovers } = created;
  const app = createContainersApp(containers, token ? { token } : {});
  const server = await serveFetch((request) => app.fetch(request), { host: options.host, port: options.port });
  return {
    ...server,
    containers,
    leftovers,
    token,
    stop: async () => {
      await containers.shutdown();
      await server.stop();
    },
  };
}

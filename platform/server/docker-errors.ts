/**
 * What the platform makes of dockerode's errors: the engine's HTTP status codes, the socket's
 * errno codes, and which of them a step may shrug off (a container already gone).
 */
import type Docker from "dockerode";
import { engineHost } from "../../core/docker.ts";
import { PlatformError } from "../client/errors.ts";

/** The engine's HTTP status of a failed call; undefined for anything else. */
export function engineStatus(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

export function isNotFound(error: unknown): boolean {
  return engineStatus(error) === 404;
}

/** For removals: a container that is gone already is what was wanted. */
export function ignoreMissing(error: unknown): void {
  if (!isNotFound(error)) throw error;
}

/** For signals: a container that is gone (404) or not running (409) has nothing left to signal. */
export function ignoreNotRunning(error: unknown): void {
  const status = engineStatus(error);
  if (status !== 404 && status !== 409) throw error;
}

/** Kills and removes a container with its anonymous volumes; one that is gone already is fine. */
export async function removeContainer(container: Docker.Container): Promise<void> {
  await container.remove({ force: true, v: true }).catch(ignoreMissing);
}

/** Errors from dockerode or the socket, as the API reports them. */
export function toPlatformError(error: unknown): PlatformError {
  if (error instanceof PlatformError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED" || code === "ENOENT" || code === "EACCES" || code === "ECONNRESET") {
    return new PlatformError(
      "engine_unreachable",
      `the Docker engine at ${engineHost()} is unreachable (${code}: ${(error as Error).message}); run \`npm run setup\`, which starts or installs it`,
    );
  }
  return new PlatformError("internal", error instanceof Error ? error.message : String(error));
}

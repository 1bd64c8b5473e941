import { join } from "node:path";
import { UserError } from "./errors.ts";
import { tryRun } from "./exec.ts";

/** The host's Go version (`go1.26.8`), or undefined when there is no Go. */
export async function goVersion(): Promise<string | undefined> {
  const result = await tryRun("go", ["env", "GOVERSION"], { timeoutMs: 30_000 });
  return result.code === 0 ? result.stdout.trim() : undefined;
}

/** Why moltlab needs Go in this place, and the command to rerun once it is installed. */
export function goMissingError(why: string, rerun: string): UserError {
  return new UserError(
    `Go is not installed: ${why}`,
    "install Go 1.24 or newer on this machine (https://go.dev/dl/ tarball into /usr/local/go and /usr/local/go/bin on PATH; " +
      `Debian bookworm's golang-go is 1.19, too old), then rerun \`${rerun}\``,
  );
}

/**
 * The environment every Go command of moltlab runs with: one module download
 * cache and one build cache under moltlab's cache dir, shared by the image's
 * cross-builds and setup's host tools, so nothing is downloaded or compiled twice.
 */
export function goCacheEnv(cache: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOMODCACHE: join(cache, "image/go/mod"),
    GOCACHE: join(cache, "image/go/build-cache"),
    GOPATH: join(cache, "image/go/path"),
  };
}

/**
 * The container's environment, built from the Worker's per moltworker's contract. This is
 * the only way secrets reach the container: the image's entrypoint is never overridden, so
 * nothing secret appears on a process command line.
 */
import { devModeAllowed } from "../flags.ts";
import type { Env } from "../types.ts";
import { DEFAULT_BUCKET } from "../../../contract/storage.ts";
import { containerSecretName, RENAMED, SAME_NAME } from "../../../contract/container-env.ts";

// The table is the contract's; the Worker checks that it names only its own variables.
SAME_NAME satisfies readonly (keyof Env)[];
RENAMED satisfies readonly (readonly [keyof Env, string])[];

export function containerEnv(env: Env): Record<string, string> {
  const result: Record<string, string> = {};
  const value = (name: keyof Env): string | undefined => {
    const raw = env[name];
    return typeof raw === "string" && raw !== "" ? raw : undefined;
  };
  for (const name of SAME_NAME) {
    const v = value(name);
    if (v !== undefined) result[name] = v;
  }
  for (const [from, to] of RENAMED) {
    const v = value(from);
    if (v !== undefined) result[to] = v;
  }
  // Secrets for tools in the container: CONTAINER_SECRET_<NAME> → <NAME>, never a name the table sets.
  for (const [workerName, raw] of Object.entries(env)) {
    const name = containerSecretName(workerName);
    if (name !== null && typeof raw === "string" && raw !== "" && !(name in result)) result[name] = raw;
  }
  // moltworker's DEV_MODE also turns on OpenClaw's insecure Control UI login (where the OpenClaw
  // still has it: the supervisor decides): only where the Worker itself honours the flag
  // (moltlab's loopback dev server), never on a deployed Worker.
  if (devModeAllowed(env) && value("DEV_MODE") !== undefined) result.OPENCLAW_DEV_MODE = value("DEV_MODE")!;
  // The bucket name matters only with R2 credentials, but moltworker always sets it.
  result.R2_BUCKET_NAME = value("R2_BUCKET_NAME") ?? DEFAULT_BUCKET;
  return result;
}

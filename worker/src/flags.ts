/**
 * How the Worker reads its on/off variables. Shared by the dev-mode gate (middleware/), the
 * container's environment (container/) and the debug routes, so it imports none of them.
 */
import type { Env } from "./types.ts";
import { DEV_SERVER_BINDING, LOOPBACK_DEV_SERVER } from "../../contract/dev-server.ts";

/** Environment flags are strings; only "true" (any case) turns one on. */
export function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === "true";
}

/**
 * Whether the bindings allow the dev-mode bypass at all: the flag, on moltlab's loopback dev
 * server (see middleware/dev-mode.ts for why the flag alone is not enough).
 */
export function devModeAllowed(env: Env): boolean {
  return (isTrue(env.DEV_MODE) || isTrue(env.E2E_TEST_MODE)) && env[DEV_SERVER_BINDING] === LOOPBACK_DEV_SERVER;
}

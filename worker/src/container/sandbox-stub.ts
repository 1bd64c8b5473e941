/** The one Sandbox Durable Object (moltworker runs exactly one container, named "moltbot"). */
import { SANDBOX_NAME } from "./settings.ts";
import type { Env } from "../types.ts";

export function sandboxStub(env: Env) {
  return env.Sandbox.get(env.Sandbox.idFromName(SANDBOX_NAME));
}

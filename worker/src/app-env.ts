/** Hono's view of the Worker: its bindings and the per-request values middleware sets. */
import type { DevModeDecision } from "./middleware/dev-mode.ts";
import type { Env } from "./env.ts";

export interface AccessIdentity {
  /** People have an email; service tokens a common_name (their client id). */
  email?: string;
  commonName?: string;
  sub: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    devMode: DevModeDecision;
    /** Unset when the dev-mode bypass let the request through. */
    identity?: AccessIdentity;
  };
}

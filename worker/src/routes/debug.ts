/**
 * `/debug/*` (only with DEBUG_ROUTES=true, and behind Access like everything else). Upstream
 * printed tokens here; these routes show which variables are *set*, never their values.
 */
import { Hono } from "hono";
import { containerEnv } from "../container/container-env.ts";
import { isTrue } from "../flags.ts";
import type { AppEnv, Env } from "../types.ts";
import { sandboxStub } from "../container/sandbox-stub.ts";

export const debugRoutes = new Hono<AppEnv>();

debugRoutes.use("*", async (c, next) => {
  if (!isTrue(c.env.DEBUG_ROUTES)) return c.json({ error: "Not found" }, 404);
  return next();
});

/** Binding names are not secret; string values may be, so only their presence is shown. */
function presence(env: Env): Record<string, boolean> {
  const result: Record<string, boolean> = {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === "string") result[name] = value !== "";
  }
  return result;
}

debugRoutes.get("/env", (c) => c.json({ worker: presence(c.env), container: Object.keys(containerEnv(c.env)).sort() }));

debugRoutes.get("/container", async (c) => c.json(await sandboxStub(c.env).status()));

debugRoutes.get("/version", (c) => c.json({ worker: "moltlab moltworker-compatible Worker", identity: c.get("identity") ?? null, devMode: c.get("devMode") }));

/**
 * DEV_MODE / E2E_TEST_MODE skip Cloudflare Access (moltworker's switches). Left on in a
 * deployed Worker they would open the gateway to the internet, so here they only apply to
 * requests addressed to a loopback host (`wrangler dev`, the e2e harness) or to a host the
 * operator names explicitly in DEV_MODE_ALLOWED_HOSTS — a second, deliberate setting. On
 * Cloudflare the request host is the route's hostname, so a deployed Worker never sees
 * `localhost`. Every bypassed request is marked with a response header and a log line;
 * a refused bypass is logged and Access is enforced as if the flag were off.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env.ts";
import { type Env, isTrue } from "./env.ts";

export const DEV_MODE_HEADER = "X-Moltlab-Dev-Mode";

export type DevModeDecision =
  | { bypass: true; flag: "DEV_MODE" | "E2E_TEST_MODE" }
  | { bypass: false; refused?: string };

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

export function devModeDecision(env: Env, url: URL): DevModeDecision {
  const flag = isTrue(env.DEV_MODE) ? "DEV_MODE" : isTrue(env.E2E_TEST_MODE) ? "E2E_TEST_MODE" : null;
  if (flag === null) return { bypass: false };
  const allowed = (env.DEV_MODE_ALLOWED_HOSTS ?? "").split(",").map((host) => host.trim().toLowerCase()).filter(Boolean);
  if (isLoopbackHost(url.hostname) || allowed.includes(url.hostname.toLowerCase())) return { bypass: true, flag };
  return { bypass: false, refused: `${flag}=true ignored: host ${url.hostname} is not loopback and not in DEV_MODE_ALLOWED_HOSTS` };
}

export const devModeGate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const decision = devModeDecision(c.env, new URL(c.req.url));
  c.set("devMode", decision);
  if (decision.bypass) {
    console.warn(`⚠ moltlab ${decision.flag}: Cloudflare Access is NOT checked — ${c.req.method} ${new URL(c.req.url).pathname}`);
  } else if (decision.refused) {
    console.error(`moltlab: ${decision.refused}; enforcing Cloudflare Access`);
  }
  await next();
  // Handlers return responses with mutable headers (see http.ts `mutable`), so this always lands.
  if (decision.bypass) c.res.headers.set(DEV_MODE_HEADER, `access-bypassed (${decision.flag})`);
  else if (decision.refused) c.res.headers.set(DEV_MODE_HEADER, "refused: not a loopback host");
};

/**
 * The HTTP side: Cloudflare's v4 API under /client/v4, as api.cloudflare.com serves it. Every
 * request is authenticated first (auth.ts); an account or zone identifier is then checked before
 * any route sees it: one of the wrong shape cannot be routed (400, 7003 + 7000), one of the right
 * shape that is not this token's is 403, 10000 "Authentication error", as Cloudflare answers a
 * token used on another account.
 */
import { Hono } from "hono";
import { accessRoutes } from "./access.ts";
import { accountRoutes } from "./account.ts";
import { aiGatewayRoutes } from "./ai-gateway.ts";
import { checkCredentials } from "./auth.ts";
import type { ApiContext } from "./context.ts";
import { dnsRoutes, zoneRoutes } from "./dns.ts";
import { apiError, CloudflareApiError, CODES, failure, noRoute } from "./envelope.ts";
import { HEX_ID } from "./ids.ts";
import { r2Routes } from "./r2.ts";
import { workersDomainRoutes, workersRouteRoutes } from "./workers.ts";

export const API_PREFIX = "/client/v4";

export interface AppOptions extends ApiContext {
  /** The accepted token; undefined once revoked (every request is then 9109). */
  token(): string | undefined;
}

/** A change hook refused the change: the state is as it was, the client sees an internal error. */
const HOOK_FAILED = 10001;

export function createCloudflareApiApp(options: AppOptions): Hono {
  const root = new Hono();
  const api = new Hono();
  const { store } = options;

  api.use("*", async (c, next) => {
    const refused = checkCredentials(c.req.raw, c.req.path, options.token);
    if (refused) throw refused;
    await next();
  });
  api.use("/accounts/:account_id/*", async (c, next) => {
    const id = c.req.param("account_id");
    if (!HEX_ID.test(id)) throw noRoute(c.req.path);
    if (id !== store.state.accountId) throw apiError(403, CODES.AUTHENTICATION_ERROR, "Authentication error");
    await next();
  });
  const checkZone = async (c: import("hono").Context, next: () => Promise<void>) => {
    const id = c.req.param("zone_id")!;
    if (!HEX_ID.test(id)) throw noRoute(c.req.path);
    if (!store.state.zones.some((zone) => zone.id === id)) throw apiError(403, CODES.AUTHENTICATION_ERROR, "Authentication error");
    await next();
  };
  api.use("/zones/:zone_id", checkZone);
  api.use("/zones/:zone_id/*", checkZone);

  for (const routes of [accountRoutes, r2Routes, accessRoutes, aiGatewayRoutes, zoneRoutes, dnsRoutes, workersDomainRoutes, workersRouteRoutes])
    routes(api, options);

  root.route(API_PREFIX, api);
  root.notFound((c) => failure(noRoute(c.req.path)));
  root.onError((error, c) => {
    if (error instanceof CloudflareApiError) return failure(error);
    const where = `${c.req.method} ${c.req.path}`;
    return failure(apiError(500, HOOK_FAILED, `Internal error answering ${where}: ${error instanceof Error ? error.message : String(error)}`));
  });
  return root;
}

/**
 * The user's own web services (SANDBOX_WEB_SERVICES, contract/web-services.ts): a request whose
 * hostname names one goes to that port in the container, after Access like everything else.
 * Everything on that hostname is the service's, /api/status and /_admin included.
 */
import type { MiddlewareHandler } from "hono";
import { parseWebServices, webServiceFor } from "../../../contract/web-services.ts";
import { withoutAccessCredentials } from "../access-credentials.ts";
import { sandboxStub } from "../container/sandbox-stub.ts";
import { mutable } from "../http.ts";
import type { AppEnv } from "../types.ts";

export const routeWebServices: MiddlewareHandler<AppEnv> = async (c, next) => {
  // Checked by requireConfig before this runs: a bad setting never gets here.
  const service = webServiceFor(parseWebServices(c.env.SANDBOX_WEB_SERVICES), new URL(c.req.url).hostname);
  if (!service) return next();
  // Access's headers and cookies are the Worker's credentials, not the service's.
  const request = new Request(c.req.raw, { headers: withoutAccessCredentials(c.req.raw.headers) });
  return mutable(await sandboxStub(c.env).webService(service.port, request));
};

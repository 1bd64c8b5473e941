/**
 * The catch-all: everything not handled by the Worker goes to the OpenClaw gateway (HTTP and
 * WebSocket) through the Sandbox DO. A browser asking for a page while the container is cold
 * gets the loading page, which polls /api/status and reloads once the gateway runs.
 */
import type { Context } from "hono";
import { withoutAccessCredentials } from "../access-credentials.ts";
import { COLD_HEADER } from "../container/sandbox.ts";
import { mutable } from "../http.ts";
import { sandboxStub } from "../container/sandbox-stub.ts";
import type { AppEnv } from "../types.ts";

export const LOADING_PAGE = "/_moltlab/loading.html";

export async function proxyToGateway(c: Context<AppEnv>): Promise<Response> {
  // Access's headers and cookies are the Worker's credentials, not the gateway's (the relay strips a WebSocket's again).
  const request = new Request(c.req.raw, { headers: withoutAccessCredentials(c.req.raw.headers) });
  const response = await sandboxStub(c.env).fetch(request);
  if (response.headers.get(COLD_HEADER)) return loadingPage(c, response.headers.get(COLD_HEADER)!);
  return mutable(response);
}

async function loadingPage(c: Context<AppEnv>, phase: string): Promise<Response> {
  const page = await c.env.ASSETS.fetch(new Request(new URL(LOADING_PAGE, c.req.url)));
  return new Response(page.body, {
    status: 503,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "retry-after": "5", [COLD_HEADER]: phase },
  });
}

/**
 * The catch-all: everything not handled by the Worker goes to the OpenClaw gateway (HTTP and
 * WebSocket) through the Sandbox DO. A browser asking for a page while the container is cold
 * gets the loading page, which polls /api/status and reloads once the gateway runs.
 */
import type { Context } from "hono";
import type { AppEnv } from "./app-env.ts";
import { COLD_HEADER } from "./container/sandbox.ts";
import { mutable } from "./http.ts";
import { sandboxStub } from "./sandbox-stub.ts";

export const LOADING_PAGE = "/_moltlab/loading.html";

/** Credentials meant for the Worker, not for the gateway. */
const WORKER_ONLY_HEADERS = ["cf-access-jwt-assertion", "cf-access-client-id", "cf-access-client-secret"];

export async function proxyToGateway(c: Context<AppEnv>): Promise<Response> {
  const headers = new Headers(c.req.raw.headers);
  for (const name of WORKER_ONLY_HEADERS) headers.delete(name);
  const request = new Request(c.req.raw, { headers });
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

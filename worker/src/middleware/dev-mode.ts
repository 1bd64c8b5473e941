/**
 * DEV_MODE / E2E_TEST_MODE skip Cloudflare Access (moltworker's switches). Left on in a
 * deployed Worker they would open the gateway to the internet, and nothing in the request can
 * tell a safe place from an unsafe one: under `wrangler dev` the Host header (and so the
 * request URL) is whatever the client sends. So the switch also needs a binding that only
 * moltlab's own dev server has: MOLTLAB_DEV_SERVER=loopback, which `npm run dev` writes into
 * the wrangler config it generates when it starts `wrangler dev --ip 127.0.0.1`
 * (stack/sandbox.ts), where only processes on this machine can connect. Bindings decide whether
 * the bypass may apply; the request can only take it away: its host must also be a loopback
 * name, so that a web page whose name was rebound to 127.0.0.1 (DNS rebinding — its requests
 * carry its own name as Host, and its Origin equals itself) cannot ride the bypass from the
 * user's browser. Every bypassed request is marked with a response header and a log line; a
 * refused bypass is logged and Access is enforced as if the flag were off.
 */
import type { MiddlewareHandler } from "hono";
import { isTrue } from "../flags.ts";
import type { AppEnv, DevModeDecision, Env } from "../types.ts";
import { DEV_SERVER_BINDING, LOOPBACK_DEV_SERVER } from "../../../contract/dev-server.ts";

export const DEV_MODE_HEADER = "X-Moltlab-Dev-Mode";

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

export function devModeDecision(env: Env, url: URL): DevModeDecision {
  const flag = isTrue(env.DEV_MODE) ? "DEV_MODE" : isTrue(env.E2E_TEST_MODE) ? "E2E_TEST_MODE" : null;
  if (flag === null) return { bypass: false };
  if (env[DEV_SERVER_BINDING] === LOOPBACK_DEV_SERVER) {
    if (isLoopbackHost(url.hostname)) return { bypass: true, flag };
    return {
      bypass: false,
      refused: `${flag}=true ignored for host ${url.hostname}, Cloudflare Access is enforced: the dev-mode bypass answers only loopback names (127.0.0.1, localhost), never a name that merely resolves there (DNS rebinding). Open http://127.0.0.1:<port>/ instead.`,
      header: "refused: not a loopback host",
    };
  }
  return {
    bypass: false,
    refused:
      `${flag}=true ignored, Cloudflare Access is enforced: this Worker is not moltlab's loopback-only dev server ` +
      `(${DEV_SERVER_BINDING}=${LOOPBACK_DEV_SERVER}, which only \`npm run dev\` sets). ` +
      `To skip Access on your machine, run \`npm run dev -- --dev-mode\`; on a deployed Worker, remove ${flag}.`,
    header: "refused: not moltlab's loopback dev server",
  };
}

export const devModeGate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const decision = devModeDecision(c.env, new URL(c.req.url));
  c.set("devMode", decision);
  if (c.env.DEV_MODE_ALLOWED_HOSTS) {
    console.error(
      `moltlab: DEV_MODE_ALLOWED_HOSTS is no longer honoured (it trusted the client-controlled Host header); remove it. The dev-mode bypass now applies only under \`npm run dev -- --dev-mode\`.`,
    );
  }
  if (decision.bypass) {
    console.warn(`⚠ moltlab ${decision.flag}: Cloudflare Access is NOT checked — ${c.req.method} ${new URL(c.req.url).pathname}`);
  } else if ("refused" in decision) {
    console.error(`moltlab: ${decision.refused}`);
  }
  await next();
  // Handlers return responses with mutable headers (see http.ts `mutable`), so this always lands.
  if (decision.bypass) c.res.headers.set(DEV_MODE_HEADER, `access-bypassed (${decision.flag})`);
  else if ("refused" in decision) c.res.headers.set(DEV_MODE_HEADER, decision.header);
};

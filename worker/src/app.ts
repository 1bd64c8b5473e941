/**
 * The Worker's routes (moltworker's table; see /work/shared/reference/moltworker.md). ROUTES in
 * manifest.ts lists them with their auth for readers outside the Worker (verify);
 * worker/test/routes.test.ts fails when the two differ.
 */
import { Hono } from "hono";
import { requireAccess } from "./middleware/access.ts";
import { adminApi } from "./routes/admin-api.ts";
import { requireConfig } from "./middleware/config.ts";
import { refuseCrossSite } from "./middleware/cross-site.ts";
import { debugRoutes } from "./routes/debug.ts";
import { devModeGate } from "./middleware/dev-mode.ts";
import { proxyToGateway } from "./routes/gateway-proxy.ts";
import { telegramWebhook } from "./routes/telegram-webhook.ts";
import { routeWebServices } from "./routes/web-services.ts";
import { TELEGRAM_WEBHOOK_ROUTE } from "../../contract/telegram.ts";
import { mutable } from "./http.ts";
import { sandboxStub } from "./container/sandbox-stub.ts";
import type { AppEnv, SandboxStatus } from "./types.ts";

/** moltworker's /api/status vocabulary, plus the states it could not tell apart. */
const STATUS_WORDS: Record<SandboxStatus, string> = {
  running: "running",
  starting: "starting",
  stopping: "stopping",
  stopped: "not_running",
  crashed: "not_running",
};

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Static liveness probe: no auth, no config check, never touches the Durable Object.
  app.get("/sandbox-health", (c) => c.json({ status: "ok" }));

  // Telegram cannot log in through Access: it proves itself with the webhook's secret token.
  app.post(TELEGRAM_WEBHOOK_ROUTE, telegramWebhook);

  // Authenticate before anything else answers: the config report names the missing secrets,
  // which is for the operator, not for whoever reaches the URL. Access itself can only say
  // that Access is not configured (see middleware/access.ts). Then refuse other sites' pages
  // riding the user's Access cookie into a POST or a WebSocket (middleware/cross-site.ts).
  app.use("*", devModeGate, requireAccess, refuseCrossSite, requireConfig);

  // Your own web services, each on its hostname (SANDBOX_WEB_SERVICES): behind Access, like the rest.
  app.use("*", routeWebServices);

  // Authenticated (upstream's was not), and it reports the DO's last known state: it never wakes the container.
  app.get("/api/status", async (c) => {
    const state = await sandboxStub(c.env).status();
    return c.json({ ok: state.status === "running", status: STATUS_WORDS[state.status], container: state }, 200, { "cache-control": "no-store" });
  });

  app.route("/api/admin", adminApi);

  app.get("/_admin", (c) => c.redirect("/_admin/", 301));
  app.get("/_admin/*", async (c) => mutable(await c.env.ASSETS.fetch(c.req.raw)));

  app.route("/debug", debugRoutes);

  app.all("*", proxyToGateway);
  return app;
}

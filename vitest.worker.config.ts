/**
 * The `worker` project: the real Worker in workerd through @cloudflare/vitest-plugin, its
 * outside world emulated. A file of its own (vitest.workspace.ts lists it by path) because
 * vitest treats every module a config file imports as a dependency of all the tests that config
 * defines: the AI Gateway and Access emulators below are imported here, so a change to them
 * reruns the worker tests under `npm test -- --changed`, and not every test of every project.
 */
import { join } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject } from "vitest/config";
import { aiGatewayFetchHandler, createAiGatewayState } from "./emulators/ai-gateway/index.ts";
import { AccessTeams, BROKEN_KINDS, type BrokenKind } from "./emulators/access/index.ts";

const root = import.meta.dirname;

/**
 * The `worker` project's outside world. Every outbound fetch of the Worker (and of its tests)
 * lands here, routed by hostname:
 * - `<team>.cloudflareaccess.com` → an Access team domain (emulators/access/teams.ts), created on
 *   first use with its own keys: JWKS at /cdn-cgi/access/certs, and the emulator's controls
 *   `POST /__moltlab/access/{rotate, retire/<kid>, certs/<fault|ok>}`. A test that rotates or breaks
 *   keys uses a team of its own, so no other test sees it. `certs/unreachable` makes the fetch throw.
 *   WORKER_ACCESS_TEAM is the team the Worker's bindings name.
 * - WORKER_TOKENS_HOST → tokens minted by a team's authority (GET /valid, /service,
 *   /broken/<kind>; `?team=<hostname>`, default WORKER_ACCESS_TEAM's; plain text).
 * - anything else → the AI Gateway emulator.
 */
export const WORKER_ACCESS_TEAM = "https://moltlab-test.cloudflareaccess.com";
const WORKER_ACCESS_AUD = "6d6f6c746c61622d776f726b65722d74657374732d61756469656e63652d3031";
const WORKER_TOKENS_HOST = "access-tokens.moltlab.test";
const TEAM_DOMAIN_SUFFIX = ".cloudflareaccess.com";

function workerOutboundService(): (request: Request) => Promise<Response> {
  const serviceToken = { clientId: "0123456789abcdef0123456789abcdef.access", clientSecret: "worker-tests-service-secret" };
  const teams = new AccessTeams({ audience: WORKER_ACCESS_AUD, serviceTokens: [serviceToken], identities: ["you@example.com"] });
  const aiGateway = aiGatewayFetchHandler(createAiGatewayState());
  const text = (body: string) => new Response(body, { headers: { "content-type": "text/plain" } });
  const mintFor = async (url: URL): Promise<Response> => {
    const team = url.searchParams.get("team") ?? new URL(WORKER_ACCESS_TEAM).hostname;
    if (!team.endsWith(TEAM_DOMAIN_SUFFIX)) return new Response(`team=${team}: name a *${TEAM_DOMAIN_SUFFIX} host, the ones routed to Access`, { status: 400 });
    const { authority } = await teams.team(team);
    // ?exp=SECONDS: a token that expires then (the default lives as long as an Access session).
    if (url.pathname === "/valid") return text(authority.mint(url.searchParams.has("exp") ? { exp: Number(url.searchParams.get("exp")) } : {}));
    if (url.pathname === "/service") return text(authority.mintServiceToken(serviceToken.clientId));
    const kind = url.pathname.replace(/^\/broken\//, "");
    if ((BROKEN_KINDS as readonly string[]).includes(kind)) return text(authority.broken(kind as BrokenKind));
    return new Response(`no token kind ${url.pathname}`, { status: 404 });
  };
  return async (request) => {
    const url = new URL(request.url);
    if (url.hostname === WORKER_TOKENS_HOST) return mintFor(url);
    if (!url.hostname.endsWith(TEAM_DOMAIN_SUFFIX)) return aiGateway(request);
    const response = await teams.fetch(request);
    // How an unreachable host looks to a fetch in the Worker: the fetch itself fails.
    if (response.type === "error") throw new TypeError(`moltlab: ${url.hostname} is unreachable (certs fault)`);
    return response;
  };
}

export default defineProject({
  plugins: [
    cloudflareTest(async () => ({
      // env.local: the deployable config minus `containers` (the pool cannot run them).
      wrangler: { configPath: join(root, "worker/wrangler.jsonc"), environment: "local" },
      // Not workerd's --verbose: it prints a stack for every Durable Object the tests abort
      // on purpose (freshSandbox), and nothing a failing test needs.
      verbose: false,
      // The real Worker, with a Sandbox subclass whose ctx.container is the tests' fake.
      main: join(root, "worker/test/entry.ts"),
      miniflare: {
        outboundService: workerOutboundService(),
        // Test secrets: fake values, each distinct so a leak names its source.
        bindings: {
          MOLTBOT_GATEWAY_TOKEN: "gw-token-worker-tests-7f3a9c",
          CF_ACCESS_TEAM_DOMAIN: WORKER_ACCESS_TEAM,
          CF_ACCESS_AUD: WORKER_ACCESS_AUD,
          ANTHROPIC_API_KEY: "sk-ant-worker-tests-51d2e8",
          TELEGRAM_BOT_TOKEN: "tg-bot-worker-tests-a83b1f",
          TELEGRAM_DM_ALLOW_FROM: "12345,67890",
          TELEGRAM_WEBHOOK_SECRET: "tg-webhook-worker-tests-5e1c",
          R2_ACCESS_KEY_ID: "r2-key-id-worker-tests-0c9d",
          R2_SECRET_ACCESS_KEY: "r2-secret-worker-tests-e4f7a2",
          CF_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
          SANDBOX_WEB_SERVICES: "board.example.com=8080",
        },
      },
    })),
  ],
  // Three files at a time (vitest's default is one fewer than the cores: one here): each spends much
  // of its time starting workerd, so the run takes 17 s instead of 30 on two cores.
  test: { name: "worker", root, include: ["worker/test/**/*.test.ts"], maxWorkers: 3 },
});

/**
 * The one list of test projects. Vitest ≥ 4 no longer reads a workspace file by
 * itself, so vitest.config.ts imports this list into `test.projects`, and the
 * moltlab CLI imports the names below to decide what `npm test` and `npm run bench` run.
 */
import { join } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject, type TestProjectInlineConfiguration } from "vitest/config";
import { aiGatewayFetchHandler, createAiGatewayState } from "./emulators/ai-gateway/index.ts";
import { createAccessApp } from "./emulators/access/app.ts";
import { Authority, BROKEN_KINDS, type BrokenKind, generateSigningKey, KeySet } from "./emulators/access/index.ts";

/** Run by `npm test`, in this order. */
export const TEST_PROJECTS = ["worker", "node", "integration"] as const;
/** Run by `npm run bench` only: timings, never pass/fail thresholds. */
export const BENCH_PROJECTS = ["perf"] as const;

const root = import.meta.dirname;
const DOCKER_MINUTES = 15 * 60_000;

/** Testcontainers settings for moltlab's engine (see README: Ryuk is replaced by label cleanup). */
function testcontainersEnv(): Record<string, string> {
  const env: Record<string, string> = { TESTCONTAINERS_RYUK_DISABLED: "true" };
  // This VM has /.dockerenv, which makes Testcontainers think it runs in a container
  // and start an extra helper; with a local socket the host is simply localhost.
  const local = !process.env.DOCKER_HOST || process.env.DOCKER_HOST.startsWith("unix://");
  if (local && !process.env.TESTCONTAINERS_HOST_OVERRIDE) env.TESTCONTAINERS_HOST_OVERRIDE = "localhost";
  return env;
}

/**
 * The `worker` project's outside world. Every outbound fetch of the Worker (and of its tests)
 * lands here, routed by hostname: the Access team domain → the Access emulator (JWKS at
 * /cdn-cgi/access/certs); WORKER_TOKENS_HOST → tokens minted by the same authority for tests
 * (GET /valid, /service, /broken/<kind>; plain text); anything else → the AI Gateway emulator.
 */
export const WORKER_ACCESS_TEAM = "https://moltlab-test.cloudflareaccess.com";
const WORKER_ACCESS_AUD = "6d6f6c746c61622d776f726b65722d74657374732d61756469656e63652d3031";
const WORKER_TOKENS_HOST = "access-tokens.moltlab.test";

async function workerOutboundService(): Promise<(request: Request) => Promise<Response>> {
  const [keys, stranger] = await Promise.all([KeySet.create("moltlab worker tests"), generateSigningKey()]);
  const serviceToken = { clientId: "0123456789abcdef0123456789abcdef.access", clientSecret: "worker-tests-service-secret" };
  const authority = new Authority({
    issuer: WORKER_ACCESS_TEAM,
    audience: WORKER_ACCESS_AUD,
    country: "XX",
    keys,
    stranger,
    serviceTokens: [serviceToken],
    defaultEmail: "you@example.com",
  });
  const access = createAccessApp({ authority, identities: ["you@example.com"] });
  const aiGateway = aiGatewayFetchHandler(createAiGatewayState());
  const text = (body: string) => new Response(body, { headers: { "content-type": "text/plain" } });
  return async (request) => {
    const { hostname, pathname } = new URL(request.url);
    if (hostname === new URL(WORKER_ACCESS_TEAM).hostname) return access.fetch(request);
    if (hostname !== WORKER_TOKENS_HOST) return aiGateway(request);
    if (pathname === "/valid") return text(authority.mint());
    if (pathname === "/service") return text(authority.mintServiceToken(serviceToken.clientId));
    const kind = pathname.replace(/^\/broken\//, "");
    if ((BROKEN_KINDS as readonly string[]).includes(kind)) return text(authority.broken(kind as BrokenKind));
    return new Response(`no token kind ${pathname}`, { status: 404 });
  };
}

const projects: TestProjectInlineConfiguration[] = [
  defineProject({
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
          outboundService: await workerOutboundService(),
          // Test secrets: fake values, each distinct so a leak names its source.
          bindings: {
            MOLTBOT_GATEWAY_TOKEN: "gw-token-worker-tests-7f3a9c",
            CF_ACCESS_TEAM_DOMAIN: WORKER_ACCESS_TEAM,
            CF_ACCESS_AUD: WORKER_ACCESS_AUD,
            ANTHROPIC_API_KEY: "sk-ant-worker-tests-51d2e8",
            TELEGRAM_BOT_TOKEN: "tg-bot-worker-tests-a83b1f",
            TELEGRAM_DM_ALLOW_FROM: "12345,67890",
            R2_ACCESS_KEY_ID: "r2-key-id-worker-tests-0c9d",
            R2_SECRET_ACCESS_KEY: "r2-secret-worker-tests-e4f7a2",
            CF_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
          },
        },
      })),
    ],
    test: { name: "worker", root, include: ["worker/test/**/*.test.ts"] },
  }),
  defineProject({
    test: {
      name: "node",
      root,
      include: ["{core,contract,setup,platform,emulators,container,stack,verify,cli}/**/*.test.ts", "tests/torture/**/*.test.ts"],
      environment: "node",
    },
  }),
  defineProject({
    test: {
      name: "integration",
      root,
      include: ["tests/integration/**/*.test.ts"],
      globalSetup: ["tests/integration/global-setup.ts"],
      env: testcontainersEnv(),
      testTimeout: DOCKER_MINUTES,
      hookTimeout: DOCKER_MINUTES,
      // Two cores: builds and emulated containers in parallel only slow each other down.
      fileParallelism: false,
    },
  }),
  defineProject({
    test: {
      name: "perf",
      root,
      include: ["tests/perf/**/*.perf.ts"],
      // The integration setup plus the collection of figures into reports/bench.{json,md}.
      globalSetup: ["tests/perf/global-setup.ts"],
      env: testcontainersEnv(),
      testTimeout: DOCKER_MINUTES,
      hookTimeout: DOCKER_MINUTES,
      fileParallelism: false,
    },
  }),
];

export default projects;

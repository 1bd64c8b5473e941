/**
 * The one list of test projects. Vitest ≥ 4 no longer reads a workspace file by
 * itself, so vitest.config.ts imports this list into `test.projects`, and the
 * moltlab CLI imports the names below to decide what `npm test` and `npm run bench` run.
 */
import { join } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject, type TestProjectInlineConfiguration } from "vitest/config";
import { aiGatewayFetchHandler, createAiGatewayState } from "./emulators/ai-gateway/index.ts";
import { AccessTeams, BROKEN_KINDS, type BrokenKind } from "./emulators/access/index.ts";

/** Run by `npm test`, in this order. */
export const TEST_PROJECTS = ["worker", "node", "integration"] as const;
/** Run by `npm run bench` only: timings, never pass/fail thresholds. */
export const BENCH_PROJECTS = ["perf"] as const;
/**
 * Run only when named (`npm test -- --project faults`): evidence too slow for every run. The AI
 * Gateway fault table waits out OpenClaw's own retries for every fault kind (about 15 minutes).
 */
export const OPT_IN_PROJECTS = ["faults"] as const;
const FAULT_TABLE = "tests/integration/ai-faults.test.ts";

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
    if (url.pathname === "/valid") return text(authority.mint());
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
          outboundService: workerOutboundService(),
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
      include: [
        "{core,contract,setup,platform,emulators,container,stack,verify,cli}/**/*.test.ts",
        "tests/torture/**/*.test.ts",
        "tests/soak/**/*.test.ts",
        "tests/perf/**/*.test.ts",
      ],
      environment: "node",
    },
  }),
  defineProject({
    test: {
      name: "integration",
      root,
      include: ["tests/integration/**/*.test.ts"],
      exclude: [FAULT_TABLE],
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
      name: "faults",
      root,
      include: [FAULT_TABLE],
      globalSetup: ["tests/integration/global-setup.ts"],
      env: testcontainersEnv(),
      testTimeout: DOCKER_MINUTES,
      hookTimeout: DOCKER_MINUTES,
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

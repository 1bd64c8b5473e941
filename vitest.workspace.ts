/**
 * The one list of test projects. Vitest ≥ 4 no longer reads a workspace file by
 * itself, so vitest.config.ts imports this list into `test.projects`, and the
 * moltlab CLI imports the names below to decide what `npm test` and `npm run bench` run.
 */
import { join } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject, type TestProjectInlineConfiguration } from "vitest/config";
import { aiGatewayFetchHandler, createAiGatewayState } from "./emulators/ai-gateway/index.ts";

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

const projects: TestProjectInlineConfiguration[] = [
  defineProject({
    plugins: [
      cloudflareTest({
        wrangler: { configPath: join(root, "worker/wrangler.jsonc") },
        // Every outbound fetch of the Worker under test is answered by the AI Gateway
        // emulator's MSW handlers (msw/node cannot intercept inside workerd). Tests reset
        // and read it through its control API at /__moltlab/ on any host.
        miniflare: { outboundService: aiGatewayFetchHandler(createAiGatewayState()) },
      }),
    ],
    test: { name: "worker", root, include: ["worker/test/**/*.test.ts"] },
  }),
  defineProject({
    test: { name: "node", root, include: ["{cli,emulators,container}/**/*.test.ts"], environment: "node" },
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
      globalSetup: ["tests/integration/global-setup.ts"],
      env: testcontainersEnv(),
      testTimeout: DOCKER_MINUTES,
      hookTimeout: DOCKER_MINUTES,
      fileParallelism: false,
    },
  }),
];

export default projects;

/**
 * The one list of test projects. Vitest ≥ 4 no longer reads a workspace file by
 * itself, so vitest.config.ts imports this list into `test.projects`, and the
 * moltlab CLI imports the names below to decide what `npm test` and `npm run bench` run.
 *
 * This file imports no project code: vitest counts what a config imports as a dependency of
 * every test it defines, so `npm test -- --changed` would rerun everything after any change
 * to it. The worker project, which needs the emulators, has its own file.
 */
import { defineProject, type TestProjectConfiguration } from "vitest/config";

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
/**
 * The integration files that run alone, before the others: one restarts the engine, one breaks
 * and repairs the base images, the rest build the images the others use (so each is built once).
 */
const INTEGRATION_ALONE = [
  "tests/integration/platform-faults.test.ts",
  "tests/integration/setup.test.ts",
  "tests/integration/base-images.test.ts",
  "tests/integration/image.test.ts",
  "tests/integration/user-image.test.ts",
  "tests/integration/containers-platform.test.ts",
];
/**
 * The vitest projects behind a name `npm test` knows: `integration` is two, run in one vitest
 * (its groups in order), so the name still selects the whole of it.
 */
export const VITEST_PROJECTS: Readonly<Record<string, readonly string[]>> = { integration: ["integration-alone", "integration"] };

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

const projects: TestProjectConfiguration[] = [
  "./vitest.worker.config.ts",
  defineProject({
    test: {
      name: "node",
      root,
      include: [
        "{core,contract,setup,platform,emulators,container,stack,verify,cli}/**/*.test.ts",
        "tests/torture/**/*.test.ts",
        "tests/soak/**/*.test.ts",
        "tests/perf/**/*.test.ts",
        "tests/shared/**/*.test.ts",
      ],
      environment: "node",
      // Three files at a time (vitest's default is one fewer than the cores: one here): many wait on
      // processes they start (wrangler, the supervisor, fake OpenClaw), so the project takes 83 s
      // instead of 115 s on two cores (94 s with two). The same as the worker project's: vitest
      // refuses projects of one sequence.groupOrder with different maxWorkers in one run.
      maxWorkers: 3,
    },
  }),
  defineProject({
    test: {
      name: "integration-alone",
      root,
      include: INTEGRATION_ALONE,
      globalSetup: ["tests/integration/global-setup.ts"],
      env: testcontainersEnv(),
      testTimeout: DOCKER_MINUTES,
      hookTimeout: DOCKER_MINUTES,
      fileParallelism: false,
      sequence: { groupOrder: 1 },
    },
  }),
  defineProject({
    test: {
      name: "integration",
      root,
      include: ["tests/integration/**/*.test.ts"],
      exclude: [FAULT_TABLE, ...INTEGRATION_ALONE],
      globalSetup: ["tests/integration/global-setup.ts"],
      env: testcontainersEnv(),
      testTimeout: DOCKER_MINUTES,
      hookTimeout: DOCKER_MINUTES,
      // Four at a time: an OpenClaw container gets half a core (standard-1), and much of a file's time
      // is waiting — for a container to go to sleep, a job to come due, a webhook's retry — so four
      // keep two cores busy where fewer left them idle. Files that start OpenClaw on the host's network
      // take turns (tests/shared/host-ports.ts); the sequencer interleaves them with those that do not.
      maxWorkers: 4,
      // The order comes from the sequencer in vitest.config.ts (vitest takes one for all projects).
      sequence: { groupOrder: 2 },
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

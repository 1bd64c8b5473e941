/**
 * Re-running the slow tests that produce verify's evidence (without --reuse): the
 * integration tests that write reports/{tools-matrix,dind,chat,persistence,wake,discord,jobs}.json and
 * the bench files whose figures verify reads (reports/bench.json). Each runs through moltlab's own test runner, so
 * setup, the Testcontainers settings and the cleanup are the same as `npm test`. That
 * runner is a command (cli/test.ts); the `moltlab verify` command hands it in, since
 * verify sits below cli/ and never imports it.
 */
import { createServer } from "node:net";
import { CONTROL_PORT, GATEWAY_PORT } from "../contract/ports.ts";
import { EVIDENCE_FILES } from "./evidence-files.ts";

/** The integration test files that write the evidence (the bench is run on its own). */
export const EVIDENCE_TESTS = {
  tools: EVIDENCE_FILES.toolsMatrix.writtenBy,
  dind: EVIDENCE_FILES.dind.writtenBy,
  chat: EVIDENCE_FILES.chat.writtenBy,
  persistence: EVIDENCE_FILES.persistence.writtenBy,
  /** reports/wake.json and reports/discord.json: one sandbox with both chat channels. */
  channels: EVIDENCE_FILES.wake.writtenBy,
  /** reports/jobs.json: a webhook job and automations, in a sandbox of their own. */
  jobs: EVIDENCE_FILES.jobs.writtenBy,
} as const;

/**
 * The bench files whose figures the items read: the cold start, first turn, warm latency and
 * throughput (cold-start, latency) and the backup and restore figures (persistence, cost). No
 * item reads the image or container-start figures, so verify leaves their minutes (the
 * `--no-cache` builds per arch, QEMU's start-up) to `npm run bench`. bench.json then holds this
 * run's figures only, as after any `npm run bench -- <file>`.
 */
export const EVIDENCE_BENCH_FILES = ["tests/perf/sandbox.perf.ts", "tests/perf/backup.perf.ts"] as const;

/** The OpenClaw gateway and supervisor ports the chat and persistence tests bind on the host. */
export const OPENCLAW_HOST_PORTS = [GATEWAY_PORT, CONTROL_PORT];

export function portFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** moltlab's test runner (`npm test`, `npm run bench`): vitest arguments in, exit code out. */
export interface EvidenceRunner {
  test(args: readonly string[]): Promise<number>;
  bench(args: readonly string[]): Promise<number>;
}

export interface RefreshOutcome {
  ran: string[];
  skipped: string[];
  failures: string[];
}

/** Which test files to run: chat and persistence only when their host ports are free. */
export function plan(portsFree: boolean): { files: string[]; skipped: string[] } {
  // The chat channels' and the jobs' tests run their sandboxes on Docker's bridge: they bind no host port.
  const files: string[] = [EVIDENCE_TESTS.tools, EVIDENCE_TESTS.dind, EVIDENCE_TESTS.channels, EVIDENCE_TESTS.jobs];
  const skipped: string[] = [];
  if (portsFree) files.push(EVIDENCE_TESTS.chat, EVIDENCE_TESTS.persistence);
  else
    skipped.push(
      `${EVIDENCE_TESTS.chat} and ${EVIDENCE_TESTS.persistence}: host port 18789 or 18790 is in use (another OpenClaw is running), their earlier evidence is reused`,
    );
  return { files, skipped };
}

export async function refreshEvidence(runner: EvidenceRunner, log: (line: string) => void): Promise<RefreshOutcome> {
  const free = (await Promise.all(OPENCLAW_HOST_PORTS.map((port) => portFree(port)))).every(Boolean);
  const { files, skipped } = plan(free);
  const failures: string[] = [];
  for (const line of skipped) log(`moltlab verify: skipping ${line}`);
  log(`moltlab verify: re-running the evidence tests (${files.length} files; the OpenClaw ones take minutes each)`);
  const code = await runner.test(["--project", "integration", ...files]);
  if (code !== 0) failures.push(`integration tests exited ${code} (their reports hold what they measured before failing)`);
  log(
    `moltlab verify: running the bench files whose figures it reads (${EVIDENCE_BENCH_FILES.join(", ")} → reports/${EVIDENCE_FILES.bench.json}); \`npm run bench\` runs them all`,
  );
  const benchCode = await runner.bench(EVIDENCE_BENCH_FILES);
  const bench = `${EVIDENCE_FILES.bench.writtenBy} -- ${EVIDENCE_BENCH_FILES.join(" ")}`;
  if (benchCode !== 0) failures.push(`${bench} exited ${benchCode}`);
  return { ran: [...files, bench], skipped, failures };
}

import { image } from "./image.ts";
import { clean } from "./clean.ts";
import { composeService } from "../stack/compose-service.ts";
import { dev } from "./dev.ts";
import { emulate } from "./emulate.ts";
import { record } from "./record.ts";
import { formatError } from "../core/errors.ts";
import { parseSetupArgs, setup } from "../setup/index.ts";
import { bench, test, typecheck } from "./test.ts";
import { StepFailed } from "../core/ui.ts";

const USAGE = `usage: moltlab <command> [options]

commands:
  setup        bring this machine to ready: Docker engine, compose/buildx, arm64/amd64
               emulation, base images for both platforms (a no-op when already ready);
               --terraform also builds OpenTofu for verify's item 0-8 (about 6 minutes)
  test         typecheck, then the worker, node and integration test projects
               (runs setup first unless MOLTLAB_AUTO_SETUP=0); --project NAME limits it,
               --changed [REF] runs only the tests that import a file changed since REF
               (default HEAD), other options go to vitest
  bench        the perf project: timings printed as medians and ratios
  torture      restarts and faults against the real supervisor and R2 stand-in, each cycle
               drawn from a seed [--cycles N] [--seed S] [--kinds a,b]; about 20 min;
               writes reports/torture.{json,md}; exits 1 on a corrupt or lossy restore
  typecheck    tsc over the Node-side and the Worker-side code
  image        build the OpenClaw image per platform: [--platform amd64|arm64|all]
               [--openclaw VERSION]; npm and Go prepared on the host, a no-op when current
  emulate      run Cloudflare emulators in the foreground: ai-gateway, r2, access or all
               [--port N] [--host H]; prints "listening on <url>" first, Ctrl-C stops;
               ai-gateway --cassette FILE answers from a recording, offline
               [--timing as-recorded|fast] [--timing-scale X] [--record-on-miss --upstream URL]
  record       record model traffic into a cassette: --to FILE [--upstream URL] [--port N];
               the AI Gateway's URLs, forwarded to the real one (or URL) and taped;
               --check FILE [--upstream URL] reports answers that changed shape
  dev          the local sandbox: emulators, the Containers platform, OpenClaw and the Worker
               under wrangler dev [--platform amd64|arm64] [--port N] [--reset] [--dev-mode];
               --cassette FILE (emulate's timing options): the model answers from a recording;
               --record-to FILE [--upstream URL]: the session's model traffic is taped; Ctrl-C stops
  import       an OpenClaw state folder, a .tar/.tar.gz of one, or a moltworker bucket copy
               → a snapshot in the bucket dev restores from; a real R2 bucket with
               --endpoint/--bucket (dry run unless --apply); --changes: what OpenClaw's
               migration changed after a boot (--help for its options)
  soak         the plan's stability run: the local sandbox under a steady load through the Worker
               (chats with tool calls, WebSocket reconnects, sleepAfter → wake, backups) for
               [--duration 1h] [--interval …] [--sleep-after 1m] [--sleep-every …]; samples memory,
               latency and backups into reports/soak.{json,md}; Ctrl-C stops and writes the report
  clean        remove moltlab's labelled containers, networks and volumes (--images: images too)
  verify       judge every evaluation item of the plan and write reports/verify.{md,json,html};
               --reuse reads the evidence in reports/ instead of re-running the slow tests;
               exits 1 when a stop criterion is hit (--help for its options)
  compose-service  one service of docker-compose.yml (access, r2, containers or worker), run
               inside its container by docker compose up
`;

// biome-ignore lint/suspicious/noConfusingVoidType: a command that never fails returns nothing; the dispatcher reads that as exit 0
const COMMANDS: Record<string, (args: string[]) => Promise<number | undefined | void>> = {
  setup: (args) => setup(undefined, parseSetupArgs(args)),
  test,
  bench,
  typecheck,
  // Loaded on demand: it starts R2 and bundles the supervisor, which no other command needs at load.
  torture: async (args) => (await import("../tests/torture/run.ts")).torture(args),
  emulate,
  record,
  image,
  dev,
  // Loaded on demand: it brings the supervisor's backup and the AWS SDK.
  import: async (args) => (await import("./import.ts")).importCommand(args),
  // Loaded on demand, like torture: the runner lives with the tests it borrows from (tests/soak/).
  soak: async (args) => (await import("../tests/soak/run.ts")).soak(args),
  clean,
  // Loaded on demand: verify brings yaml and the model SDKs (devDependencies), which no other command needs.
  // It re-runs the evidence tests through this CLI's own test runner (verify never imports cli/).
  verify: async (args) => (await import("../verify/index.ts")).verify(args, { test, bench }),
  "compose-service": composeService,
};

const [command, ...args] = process.argv.slice(2);
const handler = command ? COMMANDS[command] : undefined;
if (!handler) {
  process.stdout.write(USAGE);
  process.exit(command === undefined || command === "help" || command === "--help" ? 0 : 2);
}

try {
  process.exitCode = (await handler(args)) ?? 0;
} catch (error) {
  // A failed step has already printed its error under the step line.
  if (!(error instanceof StepFailed)) console.error(`moltlab ${command}: ${formatError(error)}`);
  process.exitCode = 1;
}

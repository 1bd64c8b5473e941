import os from "node:os";
import { checkCassette, startAiGateway } from "../emulators/ai-gateway/index.ts";
import { formatCheckReport } from "../emulators/ai-gateway/cassette-check.ts";
import { parseCommandArgs } from "../core/args.ts";
import { UserError } from "../core/errors.ts";
import { aiGatewayDetails } from "./emulate.ts";
import { parseUpstream } from "./cassette-args.ts";

const USAGE =
  "usage: moltlab record --to FILE [--upstream URL] [--port N] [--host H]   (record model traffic into a cassette)\n" +
  "       moltlab record --check FILE [--upstream URL]                      (re-send its requests, report answers that changed shape)";

/** Where `record --check` finds provider keys: cassettes never hold them, and command lines must not. */
export const CHECK_KEY_ENV = {
  anthropic: "ANTHROPIC_API_KEY",
  openai: "OPENAI_API_KEY",
  workersAi: "CLOUDFLARE_API_TOKEN",
  gateway: "CF_AIG_TOKEN",
} as const;

export interface RecordArgs {
  to?: string;
  check?: string;
  upstream?: string;
  port?: number;
  host?: string;
}

export function parseRecordArgs(args: readonly string[]): RecordArgs {
  const { values } = parseCommandArgs(
    args,
    {
      to: { type: "string", parse: (raw) => raw },
      check: { type: "string", parse: (raw) => raw },
      upstream: { type: "string", parse: parseUpstream },
      port: {
        type: "string",
        parse: (raw) => {
          if (/^\d+$/.test(raw) && Number(raw) < 65536) return Number(raw);
          throw new UserError(`--port ${raw} is not a port number`, USAGE);
        },
      },
      host: { type: "string", parse: (raw) => raw },
    },
    { usage: USAGE },
  );
  if ((values.to === undefined) === (values.check === undefined)) throw new UserError("record needs either --to FILE or --check FILE", USAGE);
  if (values.check !== undefined && (values.port !== undefined || values.host !== undefined)) {
    throw new UserError("--check serves nothing: --port and --host do not apply", USAGE);
  }
  return values;
}

/**
 * `record --to`: the AI Gateway's URLs, each model request forwarded upstream and taped. First
 * stdout line `listening on <url>`, like `emulate`. `record --check`: exits 1 when an answer
 * changed shape.
 */
export async function record(args: readonly string[]): Promise<number> {
  const parsed = parseRecordArgs(args);
  if (parsed.check !== undefined) {
    const credentials = Object.fromEntries(Object.entries(CHECK_KEY_ENV).flatMap(([name, env]) => (process.env[env] ? [[name, process.env[env]]] : [])));
    const report = await checkCassette(parsed.check, { ...(parsed.upstream ? { upstream: parsed.upstream } : {}), credentials });
    process.stdout.write(formatCheckReport(report));
    return report.changed ? 1 : 0;
  }
  const gateway = await startAiGateway({
    record: { to: parsed.to!, ...(parsed.upstream ? { upstream: parsed.upstream } : {}) },
    ...(parsed.port !== undefined ? { port: parsed.port } : {}),
    ...(parsed.host !== undefined ? { host: parsed.host } : {}),
  });
  const lines = [
    `listening on ${gateway.url}`,
    ...[
      ...aiGatewayDetails(gateway),
      `recording to: ${parsed.to} (keys and cf-aig-* secrets are never written)`,
      `upstream: ${parsed.upstream ?? "https://gateway.ai.cloudflare.com"}`,
    ].map((line) => `  ${line}`),
  ];
  process.stdout.write(`${lines.join("\n")}\nCtrl-C stops it.\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.on("SIGINT", resolve);
    process.on("SIGTERM", resolve);
  });
  await gateway.stop();
  return 128 + os.constants.signals[signal];
}

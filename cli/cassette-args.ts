/**
 * The cassette options `emulate ai-gateway` and `dev` share: `--cassette FILE [--timing
 * as-recorded|fast] [--timing-scale X] [--record-on-miss --upstream URL]`, one spec and one
 * set of rules, so both commands refuse the same mistakes with the same fixes.
 */
import type { ReplayOptions } from "../emulators/ai-gateway/index.ts";
import type { OptionSpec } from "../core/args.ts";
import { UserError } from "../core/errors.ts";

export const CASSETTE_USAGE = "--cassette FILE [--timing as-recorded|fast] [--timing-scale X] [--record-on-miss --upstream URL]";

export function parseUpstream(raw: string): string {
  if (/^https?:\/\/[^/]/.test(raw)) return raw;
  throw new UserError(`--upstream ${raw} is not an http(s) URL`, "give e.g. --upstream https://gateway.ai.cloudflare.com");
}

export function cassetteOptions(usage: string) {
  return {
    cassette: { type: "string", parse: (raw: string) => raw },
    timing: {
      type: "string",
      parse: (raw: string): "as-recorded" | "fast" => {
        if (raw === "as-recorded" || raw === "fast") return raw;
        throw new UserError(`--timing ${raw} is not as-recorded or fast`, usage);
      },
    },
    "timing-scale": {
      type: "string",
      parse: (raw: string): number => {
        if (/^\d+(\.\d+)?$/.test(raw) && Number(raw) > 0 && Number(raw) <= 100) return Number(raw);
        throw new UserError(`--timing-scale ${raw} is not a number above 0 and up to 100 (0.5 plays twice as fast)`, usage);
      },
    },
    "record-on-miss": { type: "boolean" },
    upstream: { type: "string", parse: parseUpstream },
  } satisfies Record<string, OptionSpec<unknown>>;
}

export interface CassetteValues {
  cassette?: string;
  timing?: "as-recorded" | "fast";
  "timing-scale"?: number;
  "record-on-miss"?: boolean;
  upstream?: string;
}

/**
 * The replay options the flags ask for, or undefined without --cassette. `upstreamElsewhere`:
 * the command gives --upstream another use without --cassette (dev's --record-to), so it is
 * not refused here then.
 */
export function replayOptions(values: CassetteValues, usage: string, { upstreamElsewhere = false } = {}): ReplayOptions | undefined {
  const flags: (keyof CassetteValues)[] = ["timing", "timing-scale", "record-on-miss", ...(upstreamElsewhere ? [] : (["upstream"] as const))];
  const given = flags.filter((flag) => values[flag] !== undefined);
  if (values.cassette === undefined) {
    if (given.length) throw new UserError(`--${given[0]} only goes with --cassette FILE`, usage);
    return undefined;
  }
  if (values["record-on-miss"] && values.upstream === undefined) {
    throw new UserError("--record-on-miss needs --upstream URL to record from", "add e.g. --upstream https://gateway.ai.cloudflare.com");
  }
  if (values.upstream !== undefined && !values["record-on-miss"]) {
    throw new UserError(
      "--upstream in replay is only used with --record-on-miss (replay never reaches the network otherwise)",
      "add --record-on-miss, or drop --upstream",
    );
  }
  return {
    file: values.cassette,
    ...(values.timing !== undefined ? { timing: values.timing } : {}),
    ...(values["timing-scale"] !== undefined ? { timingScale: values["timing-scale"] } : {}),
    ...(values["record-on-miss"] ? { recordOnMiss: true } : {}),
    ...(values.upstream !== undefined ? { upstream: values.upstream } : {}),
  };
}

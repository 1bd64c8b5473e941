/**
 * Command-line options, one way for every command: node:util's parseArgs reads them
 * (`--flag value`, `--flag=value`, booleans, positionals), then each value goes through the
 * option's own `parse`, which throws a UserError naming the option and the fix. Unknown
 * options and a missing value end with the command's usage line.
 */
import { parseArgs } from "node:util";
import { UserError } from "./errors.ts";

export type OptionSpec<T> = { type: "boolean" } | { type: "string"; parse: (raw: string) => T };

export type OptionValues<S extends Record<string, OptionSpec<unknown>>> = {
  [K in keyof S]?: S[K] extends { type: "boolean" } ? boolean : S[K] extends { parse: (raw: string) => infer T } ? T : never;
};

export interface CommandArgs<S extends Record<string, OptionSpec<unknown>>> {
  values: OptionValues<S>;
  positionals: string[];
}

/**
 * Parses `args` for one command. `usage` is the fix of every usage error
 * ("usage: moltlab dev [--platform amd64|arm64] …"); `positionals` says how many are allowed.
 * `optionJudgesValue`: a string option's own `parse` also judges a value that is missing
 * (`--dockerfile` last: parse gets "") or starts with a dash (`--budget -5`: parse gets "-5"),
 * so its message names the fix ("--budget -5 is not a number from 0 to 100000"), as the
 * hand-written parsers did; without it, or when parse accepts such a value, the message is
 * "--x needs a value".
 */
export function parseCommandArgs<S extends Record<string, OptionSpec<unknown>>>(
  args: readonly string[],
  spec: S,
  options: { usage: string; positionals?: number; optionJudgesValue?: boolean },
): CommandArgs<S> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: Object.fromEntries(Object.entries(spec).map(([name, option]) => [name, { type: option.type }])),
      allowPositionals: (options.positionals ?? 0) > 0,
      strict: true,
    });
  } catch (error) {
    if (options.optionJudgesValue) judgeValue(error, args, spec);
    throw new UserError(describeParseError(error, args), options.usage);
  }
  if (parsed.positionals.length > (options.positionals ?? 0)) {
    throw new UserError(`unexpected argument "${parsed.positionals[options.positionals ?? 0]}"`, options.usage);
  }
  const values: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(parsed.values)) {
    const option = spec[name]!;
    values[name] = option.type === "boolean" ? raw === true : option.parse(raw as string);
  }
  return { values: values as OptionValues<S>, positionals: parsed.positionals };
}

/**
 * A value parseArgs refused as missing or dash-led, handed to the option's own parse (which
 * throws its message). Returns when there is none, or parse accepted it.
 */
function judgeValue(error: unknown, args: readonly string[], spec: Record<string, OptionSpec<unknown>>): void {
  if ((error as { code?: string }).code !== "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") return;
  const message = (error as Error).message ?? "";
  const flag = /'--([^' <]+)/.exec(message)?.[1];
  const option = flag === undefined ? undefined : spec[flag];
  if (option?.type !== "string") return;
  if (/argument missing/.test(message)) option.parse("");
  else if (/ambiguous/.test(message)) {
    const next = dashLedValue(args, `--${flag}`);
    if (next !== undefined) option.parse(next);
  }
}

/** The value after `--x` that parseArgs found ambiguous: the first one that starts with a dash. */
function dashLedValue(args: readonly string[], option: string): string | undefined {
  return args.find((arg, index) => index > 0 && args[index - 1] === option && arg.startsWith("-"));
}

/** parseArgs's errors as moltlab says them: the option, not Node's error code. */
function describeParseError(error: unknown, args: readonly string[]): string {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION")
    return `unknown option ${args.find((arg) => option && (arg === option || arg.startsWith(`${option}=`))) ?? option}`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (/argument missing/.test(message)) return `${option} needs a value`;
    if (/ambiguous/.test(message)) {
      const next = option && dashLedValue(args, option);
      return `${option} needs a value${next ? ` (${next} looks like an option; a value starting with a dash goes as ${option}=${next})` : ""}`;
    }
    return `unknown option ${args.find((arg) => option && arg.startsWith(`${option}=`)) ?? option}`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return `unexpected argument "${/'([^']+)'/.exec(message)?.[1] ?? ""}"`;
  return message;
}

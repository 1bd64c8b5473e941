/**
 * Command-line options, one way for every command: node:util's parseArgs reads them
 * (`--flag value`, `--flag=value`, booleans, positionals), then each value goes through the
 * option's own `parse`, which throws a UserError naming the option and the fix. Unknown
 * options and a missing value end with the command's usage line.
 */
import { parseArgs } from "node:util";
import { UserError } from "./errors.ts";

export type OptionSpec<T> =
  | { type: "boolean" }
  | { type: "string"; parse: (raw: string) => T };

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
 */
export function parseCommandArgs<S extends Record<string, OptionSpec<unknown>>>(
  args: readonly string[],
  spec: S,
  options: { usage: string; positionals?: number },
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

/** parseArgs's errors as moltlab says them: the option, not Node's error code. */
function describeParseError(error: unknown, args: readonly string[]): string {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option ${args.find((arg) => option && (arg === option || arg.startsWith(`${option}=`))) ?? option}`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (/argument missing/.test(message)) return `${option} needs a value`;
    return `unknown option ${args.find((arg) => option && arg.startsWith(`${option}=`)) ?? option}`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return `unexpected argument "${/'([^']+)'/.exec(message)?.[1] ?? ""}"`;
  return message;
}

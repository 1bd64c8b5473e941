/**
 * An error the user can act on. `fix` says exactly what to do; the CLI prints it
 * without a stack trace, because a stack trace is noise when the cause is the
 * machine, not the code.
 */
export class UserError extends Error {
  readonly fix: string;

  constructor(message: string, fix: string) {
    super(message);
    this.name = "UserError";
    this.fix = fix;
  }
}

/** Errors whose message says it all: a stack trace would only point into moltlab. */
// CassetteError: a cassette file that cannot be used (emulators/ai-gateway/cassette.ts); its message names the file, line and fix.
const EXPECTED_ERRORS = new Set(["CommandError", "CassetteError"]);

export function formatError(error: unknown): string {
  if (error instanceof UserError) return `${error.message}\n  fix: ${error.fix.replaceAll("\n", "\n       ")}`;
  if (error instanceof Error && EXPECTED_ERRORS.has(error.name)) return error.message;
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}

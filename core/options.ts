/**
 * Option sets validated one way, as Miniflare does: a zod schema per option set, whose
 * messages are the texts users read ("port must be an integer from 0 to 65535"). `problems`
 * lists every problem at once (so a user fixes them in one go); `parseOptions` throws them as
 * one UserError with the fix.
 */
import type { z } from "zod";
import { UserError } from "./errors.ts";

/** Every issue of a failed parse as "<message>" (the schemas' messages name their field). */
export function problems(error: z.ZodError): string[] {
  return error.issues.map((issue) => issue.message);
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

export function check<S extends z.ZodType>(schema: S, input: unknown): Checked<z.output<S>> {
  const result = schema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, problems: problems(result.error) };
}

/** The parsed options, or a UserError listing every problem, ending with `fix`. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, fix: string): z.output<S> {
  const checked = check(schema, input);
  if (!checked.ok) throw new UserError(checked.problems.join("; "), fix);
  return checked.value;
}

/**
 * parseOptions for option sets whose rules know their own fix: such a rule passes it as
 * `params: { fix }` (`.refine(ok, { error: "…", params: { fix: "…" } })`, or a custom issue
 * with those params); every other issue gets `fix`. The UserError lists every problem, then
 * each distinct fix once.
 */
export function parseOptionsWithFixes<S extends z.ZodType>(schema: S, input: unknown, fix: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fixes = new Set(
    result.error.issues.map((issue) => {
      const own = (issue as { params?: { fix?: unknown } }).params?.fix;
      return typeof own === "string" ? own : fix;
    }),
  );
  throw new UserError(problems(result.error).join("; "), [...fixes].join("\n"));
}

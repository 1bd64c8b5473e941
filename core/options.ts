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

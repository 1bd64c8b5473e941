/**
 * Request bodies and query strings, read the way the API reads them: JSON that does not parse is
 * 6007 "Malformed JSON in request body"; JSON of the wrong shape is refused by the service's own
 * validation error (each service has its code), naming the first field at fault.
 */
import type { z } from "zod";
import { apiError, CODES, type CloudflareApiError } from "./envelope.ts";

/** How a service words a validation failure: it gets e.g. "name: Required". */
export type Refusal = (detail: string) => CloudflareApiError;

export async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  try {
    return text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw apiError(400, CODES.MALFORMED_JSON, "Malformed JSON in request body");
  }
}

export function parse<T extends z.ZodType>(schema: T, value: unknown, refuse: Refusal): z.infer<T> {
  const checked = schema.safeParse(value);
  if (checked.success) return checked.data;
  const issue = checked.error.issues[0]!;
  const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
  throw refuse(`${where}${issue.message}`);
}

export async function readBody<T extends z.ZodType>(request: Request, schema: T, refuse: Refusal): Promise<z.infer<T>> {
  return parse(schema, await readJson(request), refuse);
}

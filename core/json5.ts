/**
 * JSON5 (comments, trailing commas, unquoted keys, single quotes): how OpenClaw's openclaw.json
 * and wrangler.jsonc are written. The reference implementation parses it; this module is the one
 * place the rest of moltlab gets it from.
 */
import JSON5 from "json5";

/** The value of a JSON5 text; throws a SyntaxError naming the line and column of a mistake. */
export function parseJson5(text: string): unknown {
  return JSON5.parse(text);
}

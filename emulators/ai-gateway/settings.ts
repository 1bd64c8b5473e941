import { z } from "zod";
import type { GatewaySettings, Provider, RateLimitWindows } from "./types.ts";

/**
 * Validation of gateway settings received as JSON (start-up options, `configure()`,
 * `POST /__moltlab/settings`). Unknown fields are refused so a typo (`latency`) is not ignored.
 */

const PROVIDERS = ["anthropic", "openai", "workers-ai", "compat"] as const satisfies readonly Provider[];

const milliseconds = z
  .number({ error: "must be a number of milliseconds" })
  .min(0, { error: "must be ≥ 0" })
  .max(600_000, { error: "must be ≤ 600000 (10 minutes)" });
const count = z.number({ error: "must be an integer" }).int({ error: "must be an integer" }).min(0, { error: "must be ≥ 0" });

const windowSchema = z.strictObject({
  limit: count,
  remaining: count.optional(),
  resetSeconds: z.number({ error: "must be a number of seconds" }).min(0, { error: "must be ≥ 0" }).optional(),
});

export const rateLimitWindowsSchema: z.ZodType<RateLimitWindows> = z.strictObject({
  requests: windowSchema.optional(),
  tokens: windowSchema.optional(),
  inputTokens: windowSchema.optional(),
  outputTokens: windowSchema.optional(),
});

export const settingsSchema: z.ZodType<GatewaySettings> = z.strictObject({
  seed: z.number({ error: "must be an integer" }).int({ error: "must be an integer" }).optional(),
  latencyMs: milliseconds.optional(),
  chunkIntervalMs: milliseconds.optional(),
  rateLimit: rateLimitWindowsSchema.optional(),
  gatewayRateLimit: z
    .strictObject({
      limit: count.min(1, { error: "must be ≥ 1" }),
      periodSeconds: z.number({ error: "must be a number of seconds" }).positive({ error: "must be > 0" }),
      technique: z.enum(["fixed", "sliding"], { error: 'must be "fixed" or "sliding"' }).optional(),
    })
    .optional(),
  byok: z.partialRecord(z.enum(PROVIDERS), z.array(z.string().min(1, { error: "alias must not be empty" }))).optional(),
  unifiedBillingCredits: z.boolean({ error: "must be true or false" }).optional(),
  requireProviderCredentials: z.boolean({ error: "must be true or false" }).optional(),
});

/** Parses with a schema or throws one message naming every bad field, e.g. `settings.latencyMs: must be ≥ 0`. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new Error(result.error.issues.map((issue) => `${[where, ...issue.path.map(String)].join(".")}: ${issue.message}`).join("; "));
}

export function parseSettings(value: unknown, where = "settings"): GatewaySettings {
  return parseWith(settingsSchema, value, where);
}

/**
 * AI Gateway gateways (`/accounts/{account_id}/ai-gateway/gateways`). Unlike most objects a
 * gateway is named by the caller: its `id` is the name that appears in gateway URLs
 * (gateway.ai.cloudflare.com/v1/<account>/<id>/…). The five settings the API requires are
 * required here too; optional ones are answered as sent, so Terraform reads back what it wrote.
 */
import type { Hono } from "hono";
import { z } from "zod";
import { readBody } from "./body.ts";
import type { ApiContext } from "./context.ts";
import { apiError, success } from "./envelope.ts";
import { now } from "./ids.ts";
import { pageOf } from "./paging.ts";
import type { AiGateway } from "./state.ts";

export const AI_GATEWAY_CODES = { INVALID: 7001, NOT_FOUND: 7002, EXISTS: 7004 } as const;
const invalid = (detail: string) => apiError(400, AI_GATEWAY_CODES.INVALID, `Invalid input: ${detail}`);
const notFound = () => apiError(404, AI_GATEWAY_CODES.NOT_FOUND, "Not Found");

/** Lowercase letters, digits, - and _, up to 64: what can sit in a gateway URL's path segment. */
export const GATEWAY_ID = /^[a-z0-9_-]{1,64}$/;

const Settings = z.looseObject({
  cache_invalidate_on_update: z.boolean(),
  cache_ttl: z.number().int().min(0).nullable(),
  collect_logs: z.boolean(),
  rate_limiting_interval: z.number().int().min(0).nullable(),
  rate_limiting_limit: z.number().int().min(0).nullable(),
  rate_limiting_technique: z.enum(["fixed", "sliding"]).nullable().optional(),
  log_management: z.number().int().min(10_000).max(10_000_000).nullable().optional(),
  log_management_strategy: z.enum(["STOP_INSERTING", "DELETE_OLDEST"]).nullable().optional(),
  workers_ai_billing_mode: z.enum(["postpaid", "unified"]).optional(),
});
const Create = Settings.extend({ id: z.string() });

function gatewayFrom(input: z.infer<typeof Settings>, id: string, existing?: AiGateway): AiGateway {
  const at = now();
  return {
    workers_ai_billing_mode: "postpaid",
    is_default: false,
    otel: null,
    spend_limits: null,
    ...input,
    id,
    created_at: existing?.created_at ?? at,
    modified_at: at,
  };
}

export function aiGatewayRoutes(app: Hono, { store }: ApiContext): void {
  const base = "/accounts/:account_id/ai-gateway/gateways";

  app.post(base, async (c) => {
    const input = await readBody(c.req.raw, Create, invalid);
    if (!GATEWAY_ID.test(input.id)) throw invalid(`id "${input.id}" must be 1–64 of a-z 0-9 - _`);
    const { id, ...settings } = input;
    const created = await store.mutate((draft, record) => {
      if (draft.aiGateways.some((gateway) => gateway.id === id))
        throw apiError(409, AI_GATEWAY_CODES.EXISTS, `A gateway with the id "${id}" already exists in this account`);
      const created = gatewayFrom(settings, id);
      draft.aiGateways.push(created);
      record({ kind: "ai_gateway", action: "create", id, after: created });
      return created;
    });
    return success(created);
  });

  app.get(base, (c) => {
    const query = new URL(c.req.url).searchParams;
    const search = query.get("search") ?? "";
    const { result, info } = pageOf(
      store.state.aiGateways.filter((gateway) => gateway.id.includes(search)),
      query,
      { perPage: 20, maxPerPage: 100 },
    );
    return success(result, info);
  });

  app.get(`${base}/:id`, (c) => {
    const found = store.state.aiGateways.find((gateway) => gateway.id === c.req.param("id"));
    if (!found) throw notFound();
    return success(found);
  });

  app.put(`${base}/:id`, async (c) => {
    const input = await readBody(c.req.raw, Settings, invalid);
    const id = c.req.param("id");
    const updated = await store.mutate((draft, record) => {
      const index = draft.aiGateways.findIndex((gateway) => gateway.id === id);
      if (index < 0) throw notFound();
      const before = draft.aiGateways[index]!;
      const { id: _, ...settings } = input as typeof input & { id?: string };
      const after = gatewayFrom(settings, id, before);
      draft.aiGateways[index] = after;
      record({ kind: "ai_gateway", action: "update", id, before, after });
      return after;
    });
    return success(updated);
  });

  app.delete(`${base}/:id`, async (c) => {
    const id = c.req.param("id");
    const removed = await store.mutate((draft, record) => {
      const index = draft.aiGateways.findIndex((gateway) => gateway.id === id);
      if (index < 0) throw notFound();
      const [removed] = draft.aiGateways.splice(index, 1);
      record({ kind: "ai_gateway", action: "delete", id, before: removed });
      return removed;
    });
    return success(removed);
  });
}

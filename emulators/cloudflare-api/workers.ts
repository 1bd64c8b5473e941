/**
 * Where a Worker answers: custom domains (`/accounts/{account_id}/workers/domains`, attached with
 * PUT, one per hostname) and routes on a zone (`/zones/{zone_id}/workers/routes`). Both must sit in
 * one of the account's zones. No Worker script is checked for: the emulator holds no scripts.
 */
import type { Hono } from "hono";
import { z } from "zod";
import { readBody } from "./body.ts";
import type { ApiContext } from "./context.ts";
import { apiError, success } from "./envelope.ts";
import { hexId, uuid } from "./ids.ts";
import { listIn, type CloudflareState, type WorkersDomain, type WorkersRoute, type Zone } from "./state.ts";

export const WORKERS_CODES = {
  INVALID: 10021,
  ROUTE_NOT_FOUND: 10007,
  DUPLICATE_ROUTE: 10020,
  DOMAIN_NOT_FOUND: 100114,
  NOT_IN_ZONE: 100116,
} as const;
const invalid = (detail: string) => apiError(400, WORKERS_CODES.INVALID, detail);

/** The zone a hostname belongs to: the longest zone name it equals or ends with. */
function zoneForHost(hostname: string, zones: readonly Zone[]): Zone | undefined {
  return [...zones].sort((a, b) => b.name.length - a.name.length).find((zone) => hostname === zone.name || hostname.endsWith(`.${zone.name}`));
}

const DomainInput = z.object({
  hostname: z.string().min(1),
  service: z.string().min(1),
  environment: z.string().default("production"),
  zone_id: z.string().optional(),
  zone_name: z.string().optional(),
});

const RouteInput = z.object({ pattern: z.string().min(1), script: z.string().optional() });

export function workersDomainRoutes(app: Hono, { store }: ApiContext): void {
  const base = "/accounts/:account_id/workers/domains";

  app.put(base, async (c) => {
    const input = await readBody(c.req.raw, DomainInput, invalid);
    const hostname = input.hostname.toLowerCase();
    const attached = await store.mutate((draft, record) => {
      const zone = zoneForHost(hostname, draft.zones);
      if (!zone || (input.zone_id !== undefined && input.zone_id !== zone.id) || (input.zone_name !== undefined && input.zone_name !== zone.name))
        throw apiError(
          400,
          WORKERS_CODES.NOT_IN_ZONE,
          `Hostname '${hostname}' is not in a zone of this account${input.zone_id ? ` (zone ${input.zone_id})` : ""}.`,
        );
      const index = draft.workersDomains.findIndex((domain) => domain.hostname === hostname);
      const before = index < 0 ? undefined : draft.workersDomains[index];
      const after: WorkersDomain = {
        id: before?.id ?? hexId(),
        cert_id: before?.cert_id ?? uuid(),
        environment: input.environment,
        hostname,
        service: input.service,
        zone_id: zone.id,
        zone_name: zone.name,
      };
      if (before) draft.workersDomains[index] = after;
      else draft.workersDomains.push(after);
      record({ kind: "workers.domain", action: before ? "update" : "create", id: after.id, before, after });
      return after;
    });
    return success(attached);
  });

  app.get(base, (c) => {
    const query = new URL(c.req.url).searchParams;
    const wanted = (["hostname", "service", "zone_id", "zone_name", "environment"] as const).flatMap((field) => {
      const value = query.get(field);
      return value === null ? [] : [[field, value] as const];
    });
    return success(store.state.workersDomains.filter((domain) => wanted.every(([field, value]) => domain[field] === value)));
  });

  const find = (state: CloudflareState, id: string) => {
    const found = state.workersDomains.find((domain) => domain.id === id);
    if (!found) throw apiError(404, WORKERS_CODES.DOMAIN_NOT_FOUND, "Domain not found.");
    return found;
  };
  app.get(`${base}/:domain_id`, (c) => success(find(store.state, c.req.param("domain_id"))));
  app.delete(`${base}/:domain_id`, async (c) => {
    const id = c.req.param("domain_id");
    await store.mutate((draft, record) => {
      const found = find(draft, id);
      draft.workersDomains = draft.workersDomains.filter((domain) => domain !== found);
      record({ kind: "workers.domain", action: "delete", id, before: found });
    });
    return success(null);
  });
}

/** A route pattern's host (before the first "/"), wildcards allowed: "*.example.com/*". */
function checkPattern(pattern: string, zone: Zone): void {
  const host = pattern
    .replace(/^https?:\/\//, "")
    .split("/")[0]!
    .toLowerCase();
  const bare = host.replace(/^\*\.?/, "");
  if (!(bare === zone.name || bare.endsWith(`.${zone.name}`) || (host.startsWith("*") && zone.name.endsWith(bare) && bare !== "")))
    throw invalid(`Route pattern '${pattern}' does not match the zone ${zone.name}.`);
}

export function workersRouteRoutes(app: Hono, { store }: ApiContext): void {
  const base = "/zones/:zone_id/workers/routes";
  const zoneOf = (id: string) => store.state.zones.find((zone) => zone.id === id)!;
  const notFound = () => apiError(404, WORKERS_CODES.ROUTE_NOT_FOUND, "Route not found.");

  const save = (zoneId: string, input: z.infer<typeof RouteInput>, id?: string) =>
    store.mutate((draft, record) => {
      checkPattern(input.pattern, zoneOf(zoneId));
      const routes = listIn(draft.workersRoutes, zoneId);
      const index = id === undefined ? -1 : routes.findIndex((route) => route.id === id);
      if (id !== undefined && index < 0) throw notFound();
      if (routes.some((route) => route.pattern === input.pattern && route.id !== id))
        throw apiError(409, WORKERS_CODES.DUPLICATE_ROUTE, "A route with the same pattern already exists.");
      const before = index < 0 ? undefined : routes[index];
      const after: WorkersRoute = { id: before?.id ?? hexId(), pattern: input.pattern, ...(input.script !== undefined ? { script: input.script } : {}) };
      if (before) routes[index] = after;
      else routes.push(after);
      record({ kind: "workers.route", action: before ? "update" : "create", id: after.id, before, after });
      return after;
    });

  app.post(base, async (c) => success(await save(c.req.param("zone_id"), await readBody(c.req.raw, RouteInput, invalid))));
  app.put(`${base}/:route_id`, async (c) =>
    success(await save(c.req.param("zone_id"), await readBody(c.req.raw, RouteInput, invalid), c.req.param("route_id"))),
  );
  app.get(base, (c) => success(store.state.workersRoutes[c.req.param("zone_id")] ?? []));
  app.get(`${base}/:route_id`, (c) => {
    const found = store.state.workersRoutes[c.req.param("zone_id")]?.find((route) => route.id === c.req.param("route_id"));
    if (!found) throw notFound();
    return success(found);
  });
  app.delete(`${base}/:route_id`, async (c) => {
    const zoneId = c.req.param("zone_id");
    const id = c.req.param("route_id");
    await store.mutate((draft, record) => {
      const routes = draft.workersRoutes[zoneId] ?? [];
      const index = routes.findIndex((route) => route.id === id);
      if (index < 0) throw notFound();
      const [removed] = routes.splice(index, 1);
      record({ kind: "workers.route", action: "delete", id, before: removed });
    });
    return success({ id });
  });
}

/**
 * Zones (`/zones`, read-only: the account's zones are given when the emulator starts) and their
 * DNS records (`/zones/{zone_id}/dns_records`). Record names are stored fully qualified, as the
 * API answers them ("www" sent → "www.example.com"; "@" → the apex); proxied records get the
 * automatic TTL (1), as Cloudflare sets it.
 */
import { isIPv4, isIPv6 } from "node:net";
import type { Hono } from "hono";
import { z } from "zod";
import { readBody } from "./body.ts";
import type { ApiContext } from "./context.ts";
import { apiError, CloudflareApiError, success } from "./envelope.ts";
import { hexId, now } from "./ids.ts";
import { compareBy, pageOf } from "./paging.ts";
import { listIn, type DnsRecord, type Zone } from "./state.ts";

export const DNS_CODES = {
  VALIDATION: 1004,
  INVALID_NAME: 9000,
  NOT_PROXIABLE: 9004,
  INVALID_A: 9005,
  INVALID_AAAA: 9006,
  INVALID_CNAME: 9007,
  INVALID_TTL: 9021,
  NOT_FOUND: 81044,
  HOST_CONFLICT: 81053,
  DUPLICATE: 81057,
} as const;

const TYPES = [
  "A",
  "AAAA",
  "CAA",
  "CERT",
  "CNAME",
  "DNSKEY",
  "DS",
  "HTTPS",
  "LOC",
  "MX",
  "NAPTR",
  "NS",
  "OPENPGPKEY",
  "PTR",
  "SMIMEA",
  "SRV",
  "SSHFP",
  "SVCB",
  "TLSA",
  "TXT",
  "URI",
] as const;
const PROXIABLE = new Set(["A", "AAAA", "CNAME"]);
const HOSTNAME = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

const validation = (detail: string) =>
  new CloudflareApiError(400, [
    { code: DNS_CODES.VALIDATION, message: "DNS Validation Error", error_chain: [{ code: DNS_CODES.VALIDATION, message: detail }] },
  ]);
const notFound = () => apiError(404, DNS_CODES.NOT_FOUND, "Record does not exist.");

const RecordInput = z.looseObject({
  type: z.enum(TYPES),
  name: z.string().min(1),
  content: z.string().optional(),
  ttl: z.number().int().default(1),
  proxied: z.boolean().optional(),
  comment: z.string().nullable().optional(),
  tags: z.array(z.string()).optional(),
  priority: z.number().int().min(0).max(65535).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
type RecordInput = z.infer<typeof RecordInput>;

/** "www" → "www.example.com", "@" → "example.com"; a trailing dot is dropped. */
function qualify(name: string, zone: Zone): string {
  const lower = name.toLowerCase().replace(/\.$/, "");
  if (lower === "@" || lower === zone.name) return zone.name;
  return lower.endsWith(`.${zone.name}`) ? lower : `${lower}.${zone.name}`;
}

function recordFrom(input: RecordInput, zone: Zone, others: readonly DnsRecord[], existing?: DnsRecord): DnsRecord {
  const name = qualify(input.name, zone);
  if (!HOSTNAME.test(name)) throw apiError(400, DNS_CODES.INVALID_NAME, "DNS name is invalid.");
  const content = input.content ?? "";
  if (input.type === "A" && !isIPv4(content)) throw apiError(400, DNS_CODES.INVALID_A, "Content for A record must be a valid IPv4 address.");
  if (input.type === "AAAA" && !isIPv6(content)) throw apiError(400, DNS_CODES.INVALID_AAAA, "Content for AAAA record must be a valid IPv6 address.");
  if (input.type === "CNAME" && !HOSTNAME.test(content.toLowerCase().replace(/\.$/, "")))
    throw apiError(400, DNS_CODES.INVALID_CNAME, "Content for CNAME record is invalid.");
  if (input.type === "MX" && input.priority === undefined) throw validation("priority is required for MX records");
  const proxied = input.proxied ?? false;
  if (proxied && !PROXIABLE.has(input.type)) throw apiError(400, DNS_CODES.NOT_PROXIABLE, `${input.type} records cannot be proxied.`);
  if (input.ttl !== 1 && (input.ttl < 60 || input.ttl > 86400))
    throw apiError(400, DNS_CODES.INVALID_TTL, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.");
  const rest = others.filter((other) => other.id !== existing?.id && other.name === name);
  if (input.type === "CNAME" ? rest.length > 0 : rest.some((other) => other.type === "CNAME"))
    throw apiError(400, DNS_CODES.HOST_CONFLICT, "An A, AAAA, or CNAME record with that host already exists.");
  if (rest.some((other) => other.type === input.type && other.content === content)) throw apiError(400, DNS_CODES.DUPLICATE, "The record already exists.");
  const at = now();
  return {
    ...input,
    id: existing?.id ?? hexId(),
    name,
    type: input.type,
    content,
    proxiable: PROXIABLE.has(input.type),
    proxied,
    ttl: proxied ? 1 : input.ttl,
    settings: input.settings ?? {},
    meta: {},
    comment: input.comment ?? null,
    tags: input.tags ?? [],
    created_on: existing?.created_on ?? at,
    modified_on: at,
  };
}

/** `name=x`, or the SDK's `name.exact=x` (its query strings use dots for nested filters). */
function exact(query: URLSearchParams, field: string): string | undefined {
  return query.get(`${field}.exact`) ?? query.get(field) ?? undefined;
}

export function zoneRoutes(app: Hono, { store }: ApiContext): void {
  app.get("/zones", (c) => {
    const query = new URL(c.req.url).searchParams;
    const name = query.get("name");
    const status = query.get("status");
    const accountId = query.get("account.id");
    const zones = store.state.zones.filter(
      (zone) =>
        (name === null || zone.name === name) && (status === null || zone.status === status) && (accountId === null || accountId === store.state.accountId),
    );
    const { result, info } = pageOf(zones, query, { perPage: 20, maxPerPage: 50 });
    return success(result, info);
  });
  // The zone itself; unknown ids never get here (app.ts refuses them first).
  app.get("/zones/:zone_id", (c) => success(store.state.zones.find((zone) => zone.id === c.req.param("zone_id"))));
}

export function dnsRoutes(app: Hono, { store }: ApiContext): void {
  const base = "/zones/:zone_id/dns_records";
  const zoneOf = (id: string) => store.state.zones.find((zone) => zone.id === id)!;

  app.post(base, async (c) => {
    const input = await readBody(c.req.raw, RecordInput, validation);
    const zone = zoneOf(c.req.param("zone_id"));
    const created = await store.mutate((draft, record) => {
      const records = listIn(draft.dnsRecords, zone.id);
      const created = recordFrom(input, zone, records);
      records.push(created);
      record({ kind: "dns.record", action: "create", id: created.id, after: created });
      return created;
    });
    return success(created);
  });

  app.get(base, (c) => {
    const query = new URL(c.req.url).searchParams;
    const zone = zoneOf(c.req.param("zone_id"));
    const name = exact(query, "name");
    const content = exact(query, "content");
    const type = query.get("type");
    const proxied = query.get("proxied");
    const filters = [
      (item: DnsRecord) => name === undefined || item.name === qualify(name, zone),
      (item: DnsRecord) => content === undefined || item.content === content,
      (item: DnsRecord) => type === null || item.type === type,
      (item: DnsRecord) => proxied === null || String(item.proxied) === proxied,
    ];
    const match = query.get("match") === "any" ? "any" : "all";
    const active = [name !== undefined, content !== undefined, type !== null, proxied !== null];
    const used = filters.filter((_, index) => active[index]);
    const selected = (store.state.dnsRecords[zone.id] ?? []).filter((item) =>
      used.length === 0 ? true : match === "any" ? used.some((test) => test(item)) : used.every((test) => test(item)),
    );
    const order = query.get("order") as "type" | "name" | "content" | "ttl" | "proxied" | null;
    const sorted = order ? [...selected].sort(compareBy((item) => item[order], query.get("direction") === "desc" ? "desc" : "asc")) : selected;
    const { result, info } = pageOf(sorted, query, { perPage: 100, maxPerPage: 50_000 });
    return success(result, info);
  });

  app.get(`${base}/:record_id`, (c) => {
    const found = store.state.dnsRecords[c.req.param("zone_id")]?.find((item) => item.id === c.req.param("record_id"));
    if (!found) throw notFound();
    return success(found);
  });

  const update = (partial: boolean) => async (c: import("hono").Context) => {
    const zone = zoneOf(c.req.param("zone_id")!);
    const id = c.req.param("record_id")!;
    const body = await readBody(c.req.raw, z.looseObject({}), validation);
    const updated = await store.mutate((draft, record) => {
      const records = listIn(draft.dnsRecords, zone.id);
      const index = records.findIndex((item) => item.id === id);
      if (index < 0) throw notFound();
      const before = records[index]!;
      // PATCH keeps what is not sent; PUT replaces the record (id and creation time stay).
      const { id: _, created_on: __, modified_on: ___, meta: ____, proxiable: _____, ...kept } = before;
      const merged = partial ? { ...kept, ...body } : body;
      const checked = RecordInput.safeParse(merged);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        throw validation(`${issue.path.join(".")}: ${issue.message}`);
      }
      const after = recordFrom(checked.data, zone, records, before);
      records[index] = after;
      record({ kind: "dns.record", action: "update", id, before, after });
      return after;
    });
    return success(updated);
  };
  app.put(`${base}/:record_id`, update(false));
  app.patch(`${base}/:record_id`, update(true));

  app.delete(`${base}/:record_id`, async (c) => {
    const zone = zoneOf(c.req.param("zone_id"));
    const id = c.req.param("record_id");
    await store.mutate((draft, record) => {
      const records = draft.dnsRecords[zone.id] ?? [];
      const index = records.findIndex((item) => item.id === id);
      if (index < 0) throw notFound();
      const [removed] = records.splice(index, 1);
      record({ kind: "dns.record", action: "delete", id, before: removed });
    });
    return success({ id });
  });
}

/** A zone as GET /zones answers it: active, on the Free plan, with Cloudflare's name servers. */
export function newZone(name: string, account: { id: string; name: string }): Zone {
  const at = now();
  return {
    id: hexId(),
    name,
    status: "active",
    paused: false,
    type: "full",
    development_mode: 0,
    name_servers: ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
    original_name_servers: null,
    original_registrar: null,
    original_dnshost: null,
    created_on: at,
    modified_on: at,
    activated_on: at,
    meta: { step: 2, custom_certificate_quota: 0, page_rule_quota: 3, phishing_detected: false },
    owner: { id: null, type: "user", email: null },
    account: { id: account.id, name: account.name },
    permissions: ["#dns_records:edit", "#dns_records:read", "#worker:edit", "#worker:read", "#zone:read"],
    plan: {
      id: "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
      name: "Free Website",
      price: 0,
      currency: "USD",
      frequency: "",
      is_subscribed: false,
      can_subscribe: false,
      legacy_id: "free",
      legacy_discount: false,
      externally_managed: false,
    },
    vanity_name_servers: [],
  };
}

/**
 * R2 buckets (`/accounts/{account_id}/r2/buckets`): what Terraform's cloudflare_r2_bucket and
 * `wrangler r2 bucket` use. Buckets live in a jurisdiction (the `cf-r2-jurisdiction` header,
 * "default" without it): the same name may exist once per jurisdiction, and a bucket is found only
 * with its jurisdiction's header. Lists page by cursor (`result_info.cursor`), not by page number.
 */
import type { Hono } from "hono";
import { z } from "zod";
import { readBody } from "./body.ts";
import type { ApiContext } from "./context.ts";
import { apiError, success } from "./envelope.ts";
import { now } from "./ids.ts";
import type { R2Bucket } from "./state.ts";

/** R2's own codes (its S3 errors' numeric twins). */
export const R2_CODES = {
  BUCKET_EXISTS: 10004,
  INVALID_BUCKET_NAME: 10005,
  NO_SUCH_BUCKET: 10006,
  /** Any other refused argument (location hint, storage class, jurisdiction, list parameters). */
  INVALID_ARGUMENT: 10040,
} as const;

export const LOCATION_HINTS = ["apac", "eeur", "enam", "weur", "wnam", "oc"] as const;
export const JURISDICTIONS = ["default", "eu", "fedramp"] as const;
const STORAGE_CLASSES = ["Standard", "InfrequentAccess"] as const;

/** 3–63 of a-z 0-9 -, starting and ending with a letter or digit (R2's rule, as S3's without dots). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

const invalidArgument = (message: string) => apiError(400, R2_CODES.INVALID_ARGUMENT, message);
const noSuchBucket = () => apiError(404, R2_CODES.NO_SUCH_BUCKET, "The specified bucket does not exist.");

const CreateBucket = z.object({
  name: z.string(),
  locationHint: z.string().optional(),
  storageClass: z.string().optional(),
});

function jurisdictionOf(request: Request): R2Bucket["jurisdiction"] {
  const raw = request.headers.get("cf-r2-jurisdiction")?.toLowerCase() ?? "default";
  if (!(JURISDICTIONS as readonly string[]).includes(raw))
    throw invalidArgument(`The jurisdiction "${raw}" is not valid: use one of ${JURISDICTIONS.join(", ")}.`);
  return raw as R2Bucket["jurisdiction"];
}

function storageClassOf(raw: string | undefined): R2Bucket["storage_class"] {
  if (raw === undefined) return "Standard";
  if (!(STORAGE_CLASSES as readonly string[]).includes(raw))
    throw invalidArgument(`The storage class "${raw}" is not valid: use Standard or InfrequentAccess.`);
  return raw as R2Bucket["storage_class"];
}

/** Where a bucket without a hint lands: the emulator's default region, or the jurisdiction's own. */
function locationFor(hint: string | undefined, jurisdiction: R2Bucket["jurisdiction"], fallback: string): string {
  if (hint !== undefined) {
    if (!(LOCATION_HINTS as readonly string[]).includes(hint.toLowerCase()))
      throw invalidArgument(`The location hint "${hint}" is not valid: use one of ${LOCATION_HINTS.join(", ")}.`);
    return hint.toUpperCase();
  }
  return jurisdiction === "eu" ? "WEUR" : fallback.toUpperCase();
}

/** An opaque cursor: the last name of the page, which the next page starts after. */
const encodeCursor = (name: string) => Buffer.from(name).toString("base64url");
const decodeCursor = (cursor: string) => Buffer.from(cursor, "base64url").toString();

export function r2Routes(app: Hono, { store, defaultLocation }: ApiContext): void {
  const find = (name: string, jurisdiction: string) => store.state.r2Buckets.find((bucket) => bucket.name === name && bucket.jurisdiction === jurisdiction);

  app.post("/accounts/:account_id/r2/buckets", async (c) => {
    const jurisdiction = jurisdictionOf(c.req.raw);
    const input = await readBody(c.req.raw, CreateBucket, (detail) => invalidArgument(`The request body is not valid: ${detail}`));
    if (!BUCKET_NAME.test(input.name)) throw apiError(400, R2_CODES.INVALID_BUCKET_NAME, "The specified bucket name is not valid.");
    const bucket: R2Bucket = {
      name: input.name,
      creation_date: now(),
      location: locationFor(input.locationHint, jurisdiction, defaultLocation),
      storage_class: storageClassOf(input.storageClass),
      jurisdiction,
    };
    await store.mutate((draft, record) => {
      if (draft.r2Buckets.some((existing) => existing.name === bucket.name && existing.jurisdiction === jurisdiction))
        throw apiError(409, R2_CODES.BUCKET_EXISTS, "The bucket you tried to create already exists, and you own it.");
      draft.r2Buckets.push(bucket);
      record({ kind: "r2.bucket", action: "create", id: bucket.name, after: bucket });
    });
    return success(bucket);
  });

  app.get("/accounts/:account_id/r2/buckets", (c) => {
    const jurisdiction = jurisdictionOf(c.req.raw);
    const query = new URL(c.req.url).searchParams;
    const direction = query.get("direction") ?? "asc";
    if (direction !== "asc" && direction !== "desc") throw invalidArgument(`direction must be asc or desc, not "${direction}".`);
    const order = query.get("order") ?? "name";
    if (order !== "name") throw invalidArgument(`order must be name, not "${order}".`);
    const rawPerPage = query.get("per_page");
    const perPage = rawPerPage === null ? 20 : Number(rawPerPage);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 1000) throw invalidArgument("per_page must be an integer from 1 to 1000.");
    const contains = query.get("name_contains") ?? "";
    const cursor = query.get("cursor");
    const after = cursor ? decodeCursor(cursor) : (query.get("start_after") ?? undefined);
    const sorted = store.state.r2Buckets
      .filter((bucket) => bucket.jurisdiction === jurisdiction && bucket.name.includes(contains))
      .sort((a, b) => (a.name < b.name ? -1 : 1) * (direction === "desc" ? -1 : 1));
    const rest = after === undefined ? sorted : sorted.filter((bucket) => (direction === "desc" ? bucket.name < after : bucket.name > after));
    const page = rest.slice(0, perPage);
    const more = rest.length > perPage;
    return success({ buckets: page }, { ...(more ? { cursor: encodeCursor(page.at(-1)!.name) } : {}), per_page: perPage });
  });

  app.get("/accounts/:account_id/r2/buckets/:bucket_name", (c) => {
    const bucket = find(c.req.param("bucket_name"), jurisdictionOf(c.req.raw));
    if (!bucket) throw noSuchBucket();
    return success(bucket);
  });

  /** Changes the default storage class (header `cf-r2-storage-class`), the one setting PATCH takes. */
  app.patch("/accounts/:account_id/r2/buckets/:bucket_name", async (c) => {
    const jurisdiction = jurisdictionOf(c.req.raw);
    const name = c.req.param("bucket_name");
    const storageClass = storageClassOf(c.req.header("cf-r2-storage-class") ?? "");
    const updated = await store.mutate((draft, record) => {
      const bucket = draft.r2Buckets.find((item) => item.name === name && item.jurisdiction === jurisdiction);
      if (!bucket) throw noSuchBucket();
      const before = { ...bucket };
      bucket.storage_class = storageClass;
      record({ kind: "r2.bucket", action: "update", id: name, before, after: bucket });
      return bucket;
    });
    return success(updated);
  });

  app.delete("/accounts/:account_id/r2/buckets/:bucket_name", async (c) => {
    const jurisdiction = jurisdictionOf(c.req.raw);
    const name = c.req.param("bucket_name");
    await store.mutate((draft, record) => {
      const index = draft.r2Buckets.findIndex((item) => item.name === name && item.jurisdiction === jurisdiction);
      if (index < 0) throw noSuchBucket();
      const [removed] = draft.r2Buckets.splice(index, 1);
      record({ kind: "r2.bucket", action: "delete", id: name, before: removed });
    });
    return success({});
  });
}

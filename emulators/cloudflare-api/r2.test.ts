import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type StartedCloudflareApi, startCloudflareApi } from "./index.ts";
import { refusal, sdkFor } from "./testing.ts";

/** R2 buckets through the official `cloudflare` SDK (7.x), the client Terraform's provider shares an OpenAPI description with. */
let cf: StartedCloudflareApi;
beforeEach(async () => {
  cf = await startCloudflareApi();
});
afterEach(() => cf.stop());

describe("R2 buckets", () => {
  it("creates, reads, changes the storage class of and deletes a bucket, with the fields Cloudflare answers", async () => {
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    const created = await client.r2.buckets.create({ account_id, name: "moltbot-data", locationHint: "weur", storageClass: "Standard" });
    expect(created).toEqual({ name: "moltbot-data", creation_date: expect.any(String), location: "WEUR", storage_class: "Standard", jurisdiction: "default" });
    expect(new Date(created.creation_date!).toISOString()).toBe(created.creation_date);
    expect(await client.r2.buckets.get("moltbot-data", { account_id })).toEqual(created);

    const edited = await client.r2.buckets.edit("moltbot-data", { account_id, storage_class: "InfrequentAccess" });
    expect(edited.storage_class).toBe("InfrequentAccess");
    expect(cf.buckets()).toEqual([edited]);

    await client.r2.buckets.delete("moltbot-data", { account_id });
    expect(cf.buckets()).toEqual([]);
    expect(await refusal(client.r2.buckets.get("moltbot-data", { account_id }))).toEqual({
      status: 404,
      codes: [10006],
      message: "The specified bucket does not exist.",
    });
  });

  it("keeps jurisdictions apart: the same name in eu, found only with its header", async () => {
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    await client.r2.buckets.create({ account_id, name: "shared-name" });
    const eu = await client.r2.buckets.create({ account_id, name: "shared-name", "cf-r2-jurisdiction": "eu" });
    expect(eu).toMatchObject({ jurisdiction: "eu", location: "WEUR" });
    expect((await client.r2.buckets.get("shared-name", { account_id })).jurisdiction).toBe("default");
    expect((await client.r2.buckets.list({ account_id, "cf-r2-jurisdiction": "eu" })).buckets?.map((bucket) => bucket.jurisdiction)).toEqual(["eu"]);
    await client.r2.buckets.delete("shared-name", { account_id, "cf-r2-jurisdiction": "eu" });
    expect(cf.buckets().map((bucket) => bucket.jurisdiction)).toEqual(["default"]);
  });

  it("lists by cursor (result_info.cursor), filtered by name_contains and ordered by direction", async () => {
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    for (const name of ["bucket-e", "bucket-a", "other-x", "bucket-c", "bucket-b", "bucket-d"]) await client.r2.buckets.create({ account_id, name });
    type Page = { result: { buckets: { name: string }[] }; result_info: { cursor?: string; per_page: number } };
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = (await client.get(`/accounts/${account_id}/r2/buckets`, {
        query: { per_page: 2, name_contains: "bucket", ...(cursor ? { cursor } : {}) },
      })) as Page;
      expect(page.result_info.per_page).toBe(2);
      pages.push(page.result.buckets.map((bucket) => bucket.name));
      cursor = page.result_info.cursor;
    } while (cursor);
    expect(pages).toEqual([["bucket-a", "bucket-b"], ["bucket-c", "bucket-d"], ["bucket-e"]]);

    const descending = await client.r2.buckets.list({ account_id, direction: "desc", order: "name", per_page: 3 });
    expect(descending.buckets?.map((bucket) => bucket.name)).toEqual(["other-x", "bucket-e", "bucket-d"]);
  });

  it("refuses a duplicate (409, 10004), a bad name (400, 10005) and a bad location hint (400), creating nothing", async () => {
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    await client.r2.buckets.create({ account_id, name: "taken" });
    expect(await refusal(client.r2.buckets.create({ account_id, name: "taken" }))).toEqual({
      status: 409,
      codes: [10004],
      message: "The bucket you tried to create already exists, and you own it.",
    });
    for (const name of ["Upper-Case", "ab", "-leading-dash", "under_score", "x".repeat(64)])
      expect(await refusal(client.r2.buckets.create({ account_id, name }))).toMatchObject({ status: 400, codes: [10005] });
    const badHint = await refusal(client.r2.buckets.create({ account_id, name: "nowhere", locationHint: "mars" as never }));
    expect(badHint).toMatchObject({ status: 400, codes: [10040] });
    expect(badHint.message).toContain("mars");
    expect(await refusal(client.r2.buckets.create({ account_id, name: "badclass", storageClass: "Glacier" as never }))).toMatchObject({ status: 400 });
    expect(cf.buckets().map((bucket) => bucket.name)).toEqual(["taken"]);
  });
});

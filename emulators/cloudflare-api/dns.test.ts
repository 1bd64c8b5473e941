import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type StartedCloudflareApi, startCloudflareApi } from "./index.ts";
import { refusal, sdkFor } from "./testing.ts";

let cf: StartedCloudflareApi;
beforeEach(async () => {
  cf = await startCloudflareApi({ zones: ["example.com", "example.org"] });
});
afterEach(() => cf.stop());

describe("zones", () => {
  it("lists the account's zones (by name too) and reads one", async () => {
    const client = sdkFor(cf);
    const names: string[] = [];
    for await (const zone of client.zones.list()) names.push(zone.name);
    expect(names).toEqual(["example.com", "example.org"]);
    const byName = await client.zones.list({ name: "example.org" });
    expect(byName.result.map((zone) => zone.name)).toEqual(["example.org"]);
    const zone = await client.zones.get({ zone_id: cf.zoneId });
    expect(zone).toMatchObject({ id: cf.zoneId, name: "example.com", status: "active", account: { id: cf.accountId }, plan: { name: "Free Website" } });
    expect(zone.id).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("DNS records", () => {
  it("creates with a relative name, reads, patches, replaces and deletes a record", async () => {
    const client = sdkFor(cf);
    const zone_id = cf.zoneId;
    const created = await client.dns.records.create({ zone_id, type: "A", name: "www", content: "192.0.2.1", ttl: 300, proxied: false });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name: "www.example.com",
      type: "A",
      content: "192.0.2.1",
      ttl: 300,
      proxied: false,
      proxiable: true,
      comment: null,
      tags: [],
      settings: {},
      meta: {},
    });
    expect(await client.dns.records.get(created.id, { zone_id })).toEqual(created);
    const patched = await client.dns.records.edit(created.id, { zone_id, type: "A", name: "www", ttl: 300, proxied: true, comment: "through Cloudflare" });
    expect(patched).toMatchObject({ content: "192.0.2.1", proxied: true, ttl: 1, comment: "through Cloudflare", created_on: created.created_on });
    const replaced = await client.dns.records.update(created.id, { zone_id, type: "CNAME", name: "www.example.com", content: "target.example.net", ttl: 1 });
    expect(replaced).toMatchObject({ id: created.id, type: "CNAME", content: "target.example.net", proxied: false, comment: null });
    expect(await client.dns.records.delete(created.id, { zone_id })).toEqual({ id: created.id });
    expect(await refusal(client.dns.records.get(created.id, { zone_id }))).toMatchObject({ status: 404, codes: [81044] });
  });

  it("pages records for the SDK's auto-pagination and filters by exact name and type", async () => {
    const client = sdkFor(cf);
    const zone_id = cf.zoneId;
    for (let index = 1; index <= 5; index++) await client.dns.records.create({ zone_id, type: "A", name: `host${index}`, content: `192.0.2.${index}`, ttl: 1 });
    await client.dns.records.create({ zone_id, type: "TXT", name: "host1", content: "hello", ttl: 1 });
    const names: string[] = [];
    for await (const record of client.dns.records.list({ zone_id, per_page: 2, type: "A" })) names.push(record.name);
    expect(names).toEqual(["host1.example.com", "host2.example.com", "host3.example.com", "host4.example.com", "host5.example.com"]);
    const host1 = await client.dns.records.list({ zone_id, name: { exact: "host1.example.com" } });
    expect(host1.result.map((record) => record.type)).toEqual(["A", "TXT"]);
    expect(host1.result_info).toMatchObject({ page: 1, total_count: 2, total_pages: 1 });
    expect(cf.dnsRecords(cf.zones()[1]!.id)).toEqual([]);
  });

  it("refuses what Cloudflare refuses, creating nothing", async () => {
    const client = sdkFor(cf);
    const zone_id = cf.zoneId;
    expect(await refusal(client.dns.records.create({ zone_id, type: "A", name: "bad", content: "not-an-ip", ttl: 1 }))).toMatchObject({
      status: 400,
      codes: [9005],
    });
    expect(await refusal(client.dns.records.create({ zone_id, type: "A", name: "ttl", content: "192.0.2.9", ttl: 5 }))).toMatchObject({
      status: 400,
      codes: [9021],
    });
    expect(await refusal(client.dns.records.create({ zone_id, type: "TXT", name: "p", content: "x", ttl: 1, proxied: true }))).toMatchObject({
      status: 400,
      codes: [9004],
    });
    await client.dns.records.create({ zone_id, type: "A", name: "www", content: "192.0.2.1", ttl: 1 });
    expect(await refusal(client.dns.records.create({ zone_id, type: "CNAME", name: "www", content: "x.example.net", ttl: 1 }))).toMatchObject({
      status: 400,
      codes: [81053],
    });
    expect(await refusal(client.dns.records.create({ zone_id, type: "A", name: "www", content: "192.0.2.1", ttl: 1 }))).toMatchObject({
      status: 400,
      codes: [81057],
    });
    expect(cf.dnsRecords().map((record) => record.name)).toEqual(["www.example.com"]);
  });
});

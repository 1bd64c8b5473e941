import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type StartedCloudflareApi, startCloudflareApi } from "./index.ts";
import { refusal, sdkFor } from "./testing.ts";

let cf: StartedCloudflareApi;
beforeEach(async () => {
  cf = await startCloudflareApi();
});
afterEach(() => cf.stop());

describe("Workers custom domains", () => {
  it("attaches a hostname in a zone to a Worker, lists, reads, re-attaches and detaches it", async () => {
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    const domain = await client.workers.domains.update({ account_id, hostname: "bot.example.com", service: "moltbot-sandbox" });
    expect(domain).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      cert_id: expect.any(String),
      environment: "production",
      hostname: "bot.example.com",
      service: "moltbot-sandbox",
      zone_id: cf.zoneId,
      zone_name: "example.com",
    });
    const listed = [];
    for await (const item of client.workers.domains.list({ account_id, service: "moltbot-sandbox" })) listed.push(item);
    expect(listed).toEqual([domain]);
    expect(await client.workers.domains.get(domain.id, { account_id })).toEqual(domain);
    const moved = await client.workers.domains.update({ account_id, hostname: "bot.example.com", service: "other-worker" });
    expect(moved).toMatchObject({ id: domain.id, service: "other-worker" });
    await client.workers.domains.delete(domain.id, { account_id });
    expect(cf.workersDomains()).toEqual([]);
  });

  it("refuses a hostname outside the account's zones", async () => {
    const client = sdkFor(cf);
    expect(await refusal(client.workers.domains.update({ account_id: cf.accountId, hostname: "bot.elsewhere.net", service: "w" }))).toMatchObject({
      status: 400,
    });
    expect(cf.workersDomains()).toEqual([]);
  });
});

describe("Workers routes", () => {
  it("creates, lists, reads, updates and deletes a route; refuses a duplicate pattern and one outside the zone", async () => {
    const client = sdkFor(cf);
    const zone_id = cf.zoneId;
    const route = await client.workers.routes.create({ zone_id, pattern: "bot.example.com/*", script: "moltbot-sandbox" });
    expect(route).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), pattern: "bot.example.com/*", script: "moltbot-sandbox" });
    const listed = [];
    for await (const item of client.workers.routes.list({ zone_id })) listed.push(item);
    expect(listed).toEqual([route]);
    expect(await client.workers.routes.get(route.id, { zone_id })).toEqual(route);
    expect(await client.workers.routes.update(route.id, { zone_id, pattern: "*.example.com/*", script: "moltbot-sandbox" })).toMatchObject({
      id: route.id,
      pattern: "*.example.com/*",
    });
    expect(await refusal(client.workers.routes.create({ zone_id, pattern: "*.example.com/*" }))).toMatchObject({ status: 409 });
    expect(await refusal(client.workers.routes.create({ zone_id, pattern: "bot.elsewhere.net/*" }))).toMatchObject({ status: 400 });
    await client.workers.routes.delete(route.id, { zone_id });
    expect(cf.workersRoutes()).toEqual([]);
  });
});

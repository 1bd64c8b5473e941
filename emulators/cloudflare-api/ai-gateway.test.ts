import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type StartedCloudflareApi, startCloudflareApi } from "./index.ts";
import { refusal, sdkFor } from "./testing.ts";

let cf: StartedCloudflareApi;
beforeEach(async () => {
  cf = await startCloudflareApi();
});
afterEach(() => cf.stop());

const SETTINGS = { cache_invalidate_on_update: false, cache_ttl: 0, collect_logs: true, rate_limiting_interval: 0, rate_limiting_limit: 0 } as const;

describe("AI Gateway gateways", () => {
  it("creates a gateway named by its id, reads, updates and deletes it, answering optional settings as sent", async () => {
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    const created = await client.aiGateway.create({ account_id, id: "moltbot", ...SETTINGS, rate_limiting_technique: "fixed" });
    expect(created).toMatchObject({ id: "moltbot", ...SETTINGS, rate_limiting_technique: "fixed", workers_ai_billing_mode: "postpaid", is_default: false });
    expect(created).not.toHaveProperty("logpush");
    expect(await client.aiGateway.get("moltbot", { account_id })).toEqual(created);

    const updated = await client.aiGateway.update("moltbot", { account_id, ...SETTINGS, cache_ttl: 300, collect_logs: false });
    expect(updated).toMatchObject({ id: "moltbot", cache_ttl: 300, collect_logs: false, created_at: created.created_at });
    expect(updated).not.toHaveProperty("rate_limiting_technique");

    expect((await client.aiGateway.delete("moltbot", { account_id })).id).toBe("moltbot");
    expect(await refusal(client.aiGateway.get("moltbot", { account_id }))).toMatchObject({ status: 404 });
  });

  it("pages the list for the SDK's auto-pagination, and filters by search", async () => {
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    for (const id of ["gw-1", "gw-2", "gw-3", "other"]) await client.aiGateway.create({ account_id, id, ...SETTINGS });
    const ids: string[] = [];
    for await (const gateway of client.aiGateway.list({ account_id, per_page: 3 })) ids.push(gateway.id);
    expect(ids).toEqual(["gw-1", "gw-2", "gw-3", "other"]);
    const found = await client.aiGateway.list({ account_id, search: "gw" });
    expect(found.result.map((gateway) => gateway.id)).toEqual(["gw-1", "gw-2", "gw-3"]);
    expect(found.result_info).toMatchObject({ total_count: 3 });
  });

  it("refuses a taken id (409), an id that cannot sit in a URL and a missing required setting (400)", async () => {
    const client = sdkFor(cf);
    const account_id = cf.accountId;
    await client.aiGateway.create({ account_id, id: "taken", ...SETTINGS });
    expect(await refusal(client.aiGateway.create({ account_id, id: "taken", ...SETTINGS }))).toMatchObject({ status: 409 });
    expect(await refusal(client.aiGateway.create({ account_id, id: "Has Spaces", ...SETTINGS }))).toMatchObject({ status: 400 });
    const { collect_logs: _, ...missing } = SETTINGS;
    const refused = await refusal(client.aiGateway.create({ account_id, id: "incomplete", ...missing } as never));
    expect(refused).toMatchObject({ status: 400 });
    expect(refused.message).toContain("collect_logs");
    expect(cf.aiGateways().map((gateway) => gateway.id)).toEqual(["taken"]);
  });
});

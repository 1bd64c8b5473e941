import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UserError } from "../../core/errors.ts";
import { type Change, STATE_FILE, type StartedCloudflareApi, startCloudflareApi } from "./index.ts";
import { refusal, sdkFor } from "./testing.ts";

const running: StartedCloudflareApi[] = [];
const folders: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((cf) => cf.stop()));
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startCloudflareApi>[0] = {}): Promise<StartedCloudflareApi> {
  const cf = await startCloudflareApi(options);
  running.push(cf);
  return cf;
}

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "moltlab-cfapi-"));
  folders.push(dir);
  return dir;
}

describe("state across restarts", () => {
  it("keeps the account, its token and everything created when restarted on the same data folder", async () => {
    const dataDir = folder();
    const first = await start({ dataDir });
    const client = sdkFor(first);
    await client.r2.buckets.create({ account_id: first.accountId, name: "kept-bucket" });
    const policy = await client.zeroTrust.access.policies.create({
      account_id: first.accountId,
      name: "p",
      decision: "allow",
      include: [{ everyone: {} }],
    });
    const app = (await client.zeroTrust.access.applications.create({
      account_id: first.accountId,
      type: "self_hosted",
      domain: "bot.example.com",
      policies: [policy.id!],
    })) as { id: string; aud: string };
    await first.stop();
    running.splice(0);

    const second = await start({ dataDir });
    expect([second.accountId, second.token, second.zoneId]).toEqual([first.accountId, first.token, first.zoneId]);
    const again = sdkFor(second);
    expect((await again.r2.buckets.get("kept-bucket", { account_id: second.accountId })).name).toBe("kept-bucket");
    expect(await again.zeroTrust.access.applications.get(app.id, { account_id: second.accountId })).toMatchObject({ aud: app.aud });
    // Written by rename: no temporary file is left beside the state.
    expect(readdirSync(dataDir)).toEqual([STATE_FILE]);
    expect(JSON.parse(readFileSync(join(dataDir, STATE_FILE), "utf8"))).toMatchObject({ version: 1, accountId: first.accountId });
  });

  it("keeps nothing without a data folder", async () => {
    const first = await start({ accountId: "a".repeat(32) });
    await sdkFor(first).r2.buckets.create({ account_id: first.accountId, name: "gone" });
    const second = await start({ accountId: "a".repeat(32) });
    expect(second.buckets()).toEqual([]);
    expect(first.stateFile).toBeUndefined();
  });

  it("refuses seeds that contradict the stored account, and a damaged state file, saying what to do", async () => {
    const dataDir = folder();
    const first = await start({ dataDir });
    await first.stop();
    running.splice(0);
    await expect(startCloudflareApi({ dataDir, accountId: "b".repeat(32) })).rejects.toThrow(`holds account ${first.accountId}`);
    writeFileSync(join(dataDir, STATE_FILE), "{ not json");
    const error = await startCloudflareApi({ dataDir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).fix).toContain("delete");
  });

  it("refuses malformed seeds without echoing a token", async () => {
    await expect(startCloudflareApi({ accountId: "123" })).rejects.toThrow(/32 lowercase hex/);
    const error = await startCloudflareApi({ token: "short-secret" }).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toMatch(/not an API token/);
    expect(error?.message).not.toContain("short-secret");
  });
});

describe("change hooks", () => {
  it("tells the hook each change before committing it, with what changed", async () => {
    const changes: Change[] = [];
    const cf = await start({ onChange: (change) => void changes.push(change) });
    const client = sdkFor(cf);
    await client.r2.buckets.create({ account_id: cf.accountId, name: "hooked" });
    await client.r2.buckets.delete("hooked", { account_id: cf.accountId });
    expect(changes.map(({ kind, action, id }) => [kind, action, id])).toEqual([
      ["r2.bucket", "create", "hooked"],
      ["r2.bucket", "delete", "hooked"],
    ]);
    expect(changes[0]?.after).toMatchObject({ name: "hooked", location: "ENAM" });
  });

  it("a hook that throws refuses the change: 500 and nothing kept, in memory or on disk", async () => {
    const dataDir = folder();
    const cf = await start({
      dataDir,
      onChange: async (change) => {
        if (change.kind === "r2.bucket") throw new Error("local R2 is down");
      },
    });
    const client = sdkFor(cf);
    const refused = await refusal(client.r2.buckets.create({ account_id: cf.accountId, name: "refused" }));
    expect(refused.status).toBe(500);
    expect(refused.message).toContain("local R2 is down");
    expect(cf.buckets()).toEqual([]);
    expect(JSON.parse(readFileSync(join(dataDir, STATE_FILE), "utf8")).r2Buckets).toEqual([]);
    // Other kinds go through.
    await client.aiGateway.create({
      account_id: cf.accountId,
      id: "fine",
      cache_invalidate_on_update: false,
      cache_ttl: null,
      collect_logs: true,
      rate_limiting_interval: null,
      rate_limiting_limit: null,
    });
    expect(cf.aiGateways().map((gateway) => gateway.id)).toEqual(["fine"]);
  });
});

import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startR2, type StartedR2 } from "../../emulators/r2/index.ts";
import { type R2Request, startR2FaultProxy, type StartedR2FaultProxy } from "./r2-fault-proxy.ts";

describe("R2 fault proxy (AWS SDK through it to the R2 stand-in)", () => {
  let r2: StartedR2;
  let proxy: StartedR2FaultProxy;
  let s3: S3Client;
  const seen: R2Request[] = [];

  beforeAll(async () => {
    r2 = await startR2();
    proxy = await startR2FaultProxy(r2.endpoint, r2.bucket);
    proxy.onRequest((request) => seen.push(request));
    s3 = new S3Client({
      endpoint: proxy.endpoint,
      region: "auto",
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: r2.accessKeyId, secretAccessKey: r2.secretAccessKey },
    });
  });
  afterAll(async () => {
    s3?.destroy();
    await proxy?.stop();
    await r2?.stop();
  });

  const put = (key: string, body = "x".repeat(4096)) => s3.send(new PutObjectCommand({ Bucket: r2.bucket, Key: key, Body: body }));
  const get = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: r2.bucket, Key: key }))).Body!.transformToString();

  it("passes requests through unchanged and reports each key", async () => {
    await put("moltlab/packs/ab/one");
    expect(await get("moltlab/packs/ab/one")).toHaveLength(4096);
    expect(seen.slice(-2)).toEqual([
      { method: "PUT", key: "moltlab/packs/ab/one" },
      { method: "GET", key: "moltlab/packs/ab/one" },
    ]);
  });

  it("answers R2's XML error for 5xx, and recovers", async () => {
    const before = proxy.disturbed;
    await proxy.fault({ kind: "5xx", status: 503 });
    await expect(put("k")).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 }, name: "ServiceUnavailable" });
    expect(proxy.disturbed).toBe(before + 1);
    await proxy.fault({ kind: "none" });
    await put("k");
  });

  it("refuses connections while unreachable, and listens again after", async () => {
    await proxy.fault({ kind: "unreachable" });
    // A kept-alive connection is cut ("socket hang up"); a new one is refused.
    await expect(get("k")).rejects.toThrow();
    await expect(get("k")).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await proxy.fault({ kind: "none" });
    expect(await get("k")).toHaveLength(4096);
  });

  it("resets an upload mid-body and a download mid-body", async () => {
    await proxy.fault({ kind: "reset-upload", afterBytes: 1024 });
    await expect(put("cut")).rejects.toThrow();
    await proxy.fault({ kind: "reset-download", afterBytes: 1024 });
    await expect(get("k")).rejects.toThrow();
    await proxy.fault({ kind: "none" });
    await expect(get("cut")).rejects.toMatchObject({ name: "NoSuchKey" });
  });
});

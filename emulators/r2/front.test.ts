import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type R2Request, startR2, type StartedR2 } from "./index.ts";

describe("the R2 stand-in's front door: R2's Date header and faults (AWS SDK)", () => {
  let r2: StartedR2;
  let s3: S3Client;
  const seen: R2Request[] = [];

  beforeAll(async () => {
    r2 = await startR2();
    r2.onRequest((request) => seen.push(request));
    s3 = new S3Client({
      endpoint: r2.endpoint,
      region: "auto",
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: r2.accessKeyId, secretAccessKey: r2.secretAccessKey },
    });
  });
  afterAll(async () => {
    s3?.destroy();
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

  it("sends a Date header, as R2 does: the SDK corrects a skewed clock from it and the retry succeeds", async () => {
    const response = await fetch(`${r2.endpoint}/${r2.bucket}?list-type=2`);
    expect(Date.parse(response.headers.get("date") ?? "")).toBeGreaterThan(0);
    const skewed = new S3Client({ ...r2.s3ClientConfig(), maxAttempts: 1, systemClockOffset: 3_600_000 });
    await expect(skewed.send(new PutObjectCommand({ Bucket: r2.bucket, Key: "skew", Body: "x" }))).rejects.toMatchObject({ name: "RequestTimeTooSkewed" });
    // The refusal's Date header moved the client's clock offset back: the next request is signed in time.
    expect(Math.abs(skewed.config.systemClockOffset ?? 0)).toBeLessThan(60_000);
    await skewed.send(new PutObjectCommand({ Bucket: r2.bucket, Key: "skew", Body: "x" }));
    skewed.destroy();
  });

  it("answers R2's XML error for 5xx, and recovers", async () => {
    const before = r2.disturbed;
    await r2.fault({ kind: "5xx", status: 503 });
    await expect(put("k")).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 }, name: "ServiceUnavailable" });
    expect(r2.disturbed).toBe(before + 1);
    await r2.fault({ kind: "none" });
    await put("k");
  });

  it("refuses connections while unreachable, and listens again after", async () => {
    await r2.fault({ kind: "unreachable" });
    // A kept-alive connection is cut ("socket hang up"); a new one is refused.
    await expect(get("k")).rejects.toThrow();
    await expect(get("k")).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await r2.fault({ kind: "none" });
    expect(await get("k")).toHaveLength(4096);
  });

  it("resets an upload mid-body and a download mid-body", async () => {
    await r2.fault({ kind: "reset-upload", afterBytes: 1024 });
    await expect(put("cut")).rejects.toThrow();
    await r2.fault({ kind: "reset-download", afterBytes: 1024 });
    await expect(get("k")).rejects.toThrow();
    await r2.fault({ kind: "none" });
    await expect(get("cut")).rejects.toMatchObject({ name: "NoSuchKey" });
  });
});

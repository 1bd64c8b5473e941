/**
 * Bucket's request counters against the R2 stand-in: each request by the price class R2 bills
 * it in (PutObject and ListObjectsV2 Class A, GetObject Class B, DeleteObjects free), every
 * attempt of a retried one, and the body bytes that went up and came down.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startR2, type StartedR2 } from "../../emulators/r2/index.ts";
import type { R2Settings } from "./env.ts";
import { createLogger } from "./log.ts";
import { Bucket, noOperations, NotFoundError, operationsSince, WrongSizeError, type R2Operations } from "./storage.ts";
import { removeDirs, tcpSwitch, tempDir, type LogLine } from "./testing/harness.ts";

let r2: StartedR2;
const dirs: string[] = [];
const buckets: Bucket[] = [];
let testNumber = 0;

beforeAll(async () => {
  r2 = await startR2();
});
afterAll(async () => {
  await r2.stop();
});
afterEach(async () => {
  for (const bucket of buckets.splice(0)) bucket.destroy();
  await removeDirs(dirs);
});

/** A Bucket under a prefix of its own (2 attempts per request), and its log lines; `onLog` sees each line as it is written. */
function bucketFor(settings: Partial<R2Settings> = {}, onLog: (line: LogLine) => void = () => undefined): { bucket: Bucket; prefix: string; logs: LogLine[] } {
  const prefix = `ops${++testNumber}/`;
  const logs: LogLine[] = [];
  const log = createLogger({
    secrets: [r2.secretAccessKey],
    write: (text) => {
      const line = JSON.parse(text) as LogLine;
      logs.push(line);
      onLog(line);
    },
    minLevel: "debug",
  });
  const bucket = new Bucket(
    { endpoint: r2.endpoint, bucket: r2.bucket, accessKeyId: r2.accessKeyId, secretAccessKey: r2.secretAccessKey, prefix, ...settings },
    log,
    2,
  );
  buckets.push(bucket);
  return { bucket, prefix, logs };
}

const counts = (changes: Partial<R2Operations>): R2Operations => ({ ...noOperations(), ...changes });

describe("R2 operations counted by price class", { timeout: 30_000 }, () => {
  it("a put and a list are Class A, a get Class B, a delete free; bodies are counted in bytes up and down", async () => {
    const { bucket, prefix } = bucketFor();
    expect(bucket.operations).toEqual(noOperations());
    const dir = await tempDir("ops");
    dirs.push(dir);
    const file = join(dir, "upload.bin");
    await writeFile(file, Buffer.alloc(3000, 7));

    let before = bucket.operations;
    await bucket.put(`${prefix}a`, Buffer.from("0123456789"));
    await bucket.put(`${prefix}b`, { path: file, size: 3000 });
    expect(operationsSince(bucket.operations, before)).toEqual(counts({ classA: 2, bytesUp: 3010 }));

    before = bucket.operations;
    expect((await bucket.getBytes(`${prefix}a`)).toString()).toBe("0123456789");
    expect(await bucket.download(`${prefix}b`, join(dir, "download.bin"))).toMatchObject({ size: 3000 });
    expect(await readFile(join(dir, "download.bin"))).toEqual(Buffer.alloc(3000, 7));
    expect(operationsSince(bucket.operations, before)).toEqual(counts({ classB: 2, bytesDown: 3010 }));

    before = bucket.operations;
    expect((await bucket.list(prefix)).map((object) => object.key).sort()).toEqual([`${prefix}a`, `${prefix}b`]);
    expect(operationsSince(bucket.operations, before)).toEqual(counts({ classA: 1 }));

    before = bucket.operations;
    await bucket.deleteMany([`${prefix}a`, `${prefix}b`]);
    expect(operationsSince(bucket.operations, before)).toEqual(counts({ free: 1 }));
    expect(await bucket.list(prefix)).toEqual([]);

    expect(bucket.operations).toEqual({ classA: 4, classB: 2, free: 1, bytesUp: 3010, bytesDown: 3010 });
  });

  it("hands out a copy: a reading does not move with later requests and cannot change the counters", async () => {
    const { bucket, prefix } = bucketFor();
    const reading = bucket.operations;
    reading.classA = 99;
    await bucket.put(`${prefix}x`, Buffer.from("x"));
    expect(reading).toEqual({ ...noOperations(), classA: 99 });
    expect(bucket.operations).toEqual(counts({ classA: 1, bytesUp: 1 }));
  });

  it("a get of a missing object is one Class B request (R2 bills it), not retried", async () => {
    const { bucket, prefix, logs } = bucketFor();
    await expect(bucket.getBytes(`${prefix}missing`)).rejects.toBeInstanceOf(NotFoundError);
    expect(bucket.operations).toEqual(counts({ classB: 1 }));
    expect(logs.filter((line) => line.level === "warn")).toEqual([]);
  });

  it("reads an object of a known size into one buffer, and refuses one of another size at once (no retry, nothing buffered)", async () => {
    const { bucket, prefix, logs } = bucketFor();
    await bucket.put(`${prefix}pack`, Buffer.from("0123456789"));
    expect((await bucket.getExactly(`${prefix}pack`, 10)).toString()).toBe("0123456789");
    for (const expected of [9, 11]) {
      const attempt = bucket.getExactly(`${prefix}pack`, expected);
      await expect(attempt).rejects.toBeInstanceOf(WrongSizeError);
      await expect(attempt).rejects.toMatchObject({ size: 10, atLeast: false });
    }
    expect(operationsSince(bucket.operations, counts({ classA: 1, bytesUp: 10 }))).toEqual(counts({ classB: 3, bytesDown: 10 }));
    expect(logs.filter((line) => line.level === "warn")).toEqual([]);
  });

  it("deletes in batches of 1,000 keys: one free request per batch", async () => {
    const { bucket, prefix } = bucketFor();
    await bucket.deleteMany(Array.from({ length: 1001 }, (_, i) => `${prefix}gone-${i}`));
    expect(bucket.operations).toEqual(counts({ free: 2 }));
  });

  it("counts every attempt of a retried request, and only the body that got through", async () => {
    const line = await tcpSwitch(r2.port);
    try {
      const endpoint = r2.endpoint.replace(`:${r2.port}/`, `:${line.port}/`);
      // The line comes back as soon as the first failure is logged: the retry goes through.
      const { bucket, prefix } = bucketFor({ endpoint }, (log) => {
        if (log.msg.endsWith("failed, retrying")) line.up();
      });
      line.down();
      await bucket.put(`${prefix}retried`, Buffer.from("12345"));
      expect(bucket.operations).toEqual(counts({ classA: 2, bytesUp: 5 }));

      // Down for good: both attempts fail, both are counted (these never reached R2, so on an
      // outage the count is an upper bound of what R2 bills), nothing came down.
      line.down();
      const down = bucketFor({ endpoint });
      await expect(down.bucket.getBytes(`${down.prefix}anything`)).rejects.toThrow();
      expect(down.bucket.operations).toEqual(counts({ classB: 2 }));

      line.up();
      expect((await bucket.getBytes(`${prefix}retried`)).toString()).toBe("12345");
      expect(bucket.operations).toEqual(counts({ classA: 2, classB: 1, bytesUp: 5, bytesDown: 5 }));
    } finally {
      await line.close();
    }
  });
});

describe("R2_CONNECT_HOST (the sandbox on a bridge network)", { timeout: 30_000 }, () => {
  // A name no resolver knows, which the stand-in accepts as its own host.
  const NAME = "r2.moltlab.invalid";
  let named: StartedR2;
  beforeAll(async () => {
    named = await startR2({ hostnames: [NAME] });
  });
  afterAll(async () => {
    await named.stop();
  });

  function namedBucket(settings: Partial<R2Settings>): Bucket {
    const endpoint = new URL(named.endpoint);
    endpoint.hostname = NAME;
    const bucket = new Bucket(
      {
        endpoint: endpoint.href,
        bucket: named.bucket,
        accessKeyId: named.accessKeyId,
        secretAccessKey: named.secretAccessKey,
        prefix: "connect/",
        ...settings,
      },
      createLogger({ secrets: [named.secretAccessKey], write: () => undefined }),
      1,
    );
    buckets.push(bucket);
    return bucket;
  }

  it("connects to that host while the requests keep the endpoint's name, so their signatures match", async () => {
    const bucket = namedBucket({ connectHost: "127.0.0.1" });
    await bucket.put("note.txt", Buffer.from("through the door"));
    expect(await bucket.getText("note.txt")).toBe("through the door");
  });

  it("without it, the endpoint's name is looked up and fails", async () => {
    await expect(namedBucket({}).getText("note.txt")).rejects.toThrow(/ENOTFOUND|getaddrinfo/);
  });
});

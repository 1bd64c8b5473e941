/**
 * The R2 bucket over the S3 API, with our own retries so each retry is logged (the SDK's
 * built-in retries are silent). Bodies are Buffers or files of known length: the local R2
 * simulator rejects streams of unknown length and aws-chunked checksums (see emulators/r2).
 */
import { lookup } from "node:dns";
import { createReadStream, createWriteStream } from "node:fs";
import { Agent } from "node:http";
import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { R2Settings } from "./env.ts";
import { errorText, type Logger } from "./log.ts";

/** An agent whose connections go to `host` whatever the URL names; the requests keep the URL's Host. */
function connectingTo(host: string): Agent {
  return new Agent({ keepAlive: true, lookup: (_hostname, options, callback) => lookup(host, options, callback) } as ConstructorParameters<typeof Agent>[0]);
}

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified?: Date;
}

export interface DownloadResult {
  sha256: string;
  md5: string;
  size: number;
}

/**
 * Requests sent to R2 by the price class Cloudflare bills them in (developers.cloudflare.com/r2/pricing):
 * Class A mutates or lists (PutObject, ListObjects), Class B reads (GetObject, HeadObject), deletes
 * are free. Every attempt counts, a retried one too: R2 bills the requests it receives. Bytes are
 * object bodies sent and received, not HTTP overhead.
 */
export interface R2Operations {
  classA: number;
  classB: number;
  free: number;
  bytesUp: number;
  bytesDown: number;
}

export function noOperations(): R2Operations {
  return { classA: 0, classB: 0, free: 0, bytesUp: 0, bytesDown: 0 };
}

/** What happened between two readings of `Bucket.operations`. */
export function operationsSince(now: R2Operations, before: R2Operations): R2Operations {
  return {
    classA: now.classA - before.classA,
    classB: now.classB - before.classB,
    free: now.free - before.free,
    bytesUp: now.bytesUp - before.bytesUp,
    bytesDown: now.bytesDown - before.bytesDown,
  };
}

type PriceClass = "classA" | "classB" | "free";

/** The object is not there (as opposed to R2 not answering). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** The object is not the size the caller knows it must be (getExactly). */
export class WrongSizeError extends Error {
  override name = "WrongSizeError";
  /** Its size, or (`atLeast`) how much arrived before reading stopped. */
  readonly size: number;
  readonly atLeast: boolean;
  constructor(key: string, size: number, atLeast: boolean) {
    super(`${key} is ${atLeast ? "at least " : ""}${size} bytes`);
    this.size = size;
    this.atLeast = atLeast;
  }
}

export class Bucket {
  readonly prefix: string;
  readonly name: string;
  readonly endpoint: string;
  readonly #client: S3Client;
  readonly #log: Logger;
  readonly #attempts: number;
  readonly #operations = noOperations();

  constructor(settings: R2Settings, log: Logger, attempts: number) {
    this.prefix = settings.prefix;
    this.name = settings.bucket;
    this.endpoint = settings.endpoint;
    this.#log = log;
    this.#attempts = attempts;
    const timeouts = { connectionTimeout: 10_000, requestTimeout: 120_000 };
    this.#client = new S3Client({
      endpoint: settings.endpoint,
      region: "auto",
      forcePathStyle: true,
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 1,
      requestHandler: settings.connectHost ? new NodeHttpHandler({ ...timeouts, httpAgent: connectingTo(settings.connectHost) }) : timeouts,
    });
  }

  /** Requests and bytes so far (a copy): subtract two readings with operationsSince. */
  get operations(): R2Operations {
    return { ...this.#operations };
  }

  async getText(key: string): Promise<string> {
    return (await this.getBytes(key)).toString("utf8");
  }

  async getBytes(key: string): Promise<Buffer> {
    return this.#retry(`get ${key}`, async () => {
      const response = await this.#call("classB", () => this.#client.send(new GetObjectCommand({ Bucket: this.name, Key: key })));
      const body = Buffer.from((await response.Body?.transformToByteArray()) ?? []);
      this.#operations.bytesDown += body.length;
      return body;
    });
  }

  /**
   * An object that must be `size` bytes (a pack, by its manifest), read into one buffer of
   * that size: anything else fails with WrongSizeError before more than `size` bytes are held,
   * so a bucket cannot make the restore buffer more than the manifest announced.
   */
  async getExactly(key: string, size: number): Promise<Buffer> {
    return this.#retry(`get ${key}`, async () => {
      const response = await this.#call("classB", () => this.#client.send(new GetObjectCommand({ Bucket: this.name, Key: key })));
      const body = response.Body as Readable;
      if (response.ContentLength !== undefined && response.ContentLength !== size) {
        body.destroy();
        throw new WrongSizeError(key, response.ContentLength, false);
      }
      const buffer = Buffer.allocUnsafe(size);
      let received = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        this.#operations.bytesDown += chunk.length;
        if (received + chunk.length > size) throw new WrongSizeError(key, received + chunk.length, true);
        chunk.copy(buffer, received);
        received += chunk.length;
      }
      // The announced length did not arrive: a cut connection, tried again.
      if (received !== size) throw new Error(`the body of ${key} ended after ${received} of ${size} bytes`);
      return buffer;
    });
  }

  /**
   * Streams an object into a file, hashing it on the way (a pack is checked slice by slice
   * afterwards instead: `hash: false` spares hashing its bytes twice).
   */
  async download(key: string, path: string, { hash = true }: { hash?: boolean } = {}): Promise<DownloadResult> {
    return this.#retry(`get ${key}`, async () => {
      const response = await this.#call("classB", () => this.#client.send(new GetObjectCommand({ Bucket: this.name, Key: key })));
      const operations = this.#operations;
      const sha = createHash("sha256");
      const md5 = createHash("md5");
      let size = 0;
      const hasher = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          if (hash) {
            sha.update(chunk);
            md5.update(chunk);
          }
          size += chunk.length;
          operations.bytesDown += chunk.length;
          done(null, chunk);
        },
      });
      await pipeline(response.Body as Readable, hasher, createWriteStream(path));
      return { sha256: sha.digest("hex"), md5: md5.digest("hex"), size };
    });
  }

  async put(key: string, body: Buffer | { path: string; size: number }, contentType = "application/octet-stream"): Promise<void> {
    await this.#retry(`put ${key}`, async () => {
      // A fresh stream per attempt: a failed attempt has consumed the previous one.
      const Body = Buffer.isBuffer(body) ? body : createReadStream(body.path);
      const ContentLength = Buffer.isBuffer(body) ? body.length : body.size;
      await this.#call("classA", () => this.#client.send(new PutObjectCommand({ Bucket: this.name, Key: key, Body, ContentLength, ContentType: contentType })));
      this.#operations.bytesUp += ContentLength;
    });
  }

  async list(prefix: string): Promise<ListedObject[]> {
    const objects: ListedObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.#retry(`list ${prefix}`, () =>
        this.#call("classA", () => this.#client.send(new ListObjectsV2Command({ Bucket: this.name, Prefix: prefix, ContinuationToken: token }))),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key)
          objects.push({
            key: item.Key,
            size: item.Size ?? 0,
            etag: (item.ETag ?? "").replaceAll('"', ""),
            ...(item.LastModified ? { lastModified: item.LastModified } : {}),
          });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await this.#retry(`delete ${batch.length} objects`, () =>
        this.#call("free", () =>
          this.#client.send(new DeleteObjectsCommand({ Bucket: this.name, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
        ),
      );
    }
  }

  destroy(): void {
    this.#client.destroy();
  }

  /** Runs one request, turning "no such key" into NotFoundError so callers can tell it from an outage. */
  async #call<T>(priceClass: PriceClass, request: () => Promise<T>): Promise<T> {
    this.#operations[priceClass]++;
    try {
      return await request();
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(`not found in bucket ${this.name}`);
      throw error;
    }
  }

  /** Exponential backoff on transport errors, 5xx and 429; anything else fails at once. */
  async #retry<T>(what: string, operation: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (error instanceof NotFoundError || error instanceof WrongSizeError || !isRetryable(error) || attempt >= this.#attempts) throw error;
        const delayMs = Math.min(200 * 2 ** (attempt - 1), 5000);
        this.#log.warn("r2", `R2 ${what} failed, retrying`, { attempt, of: this.#attempts, delayMs, error: errorText(error) });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return name === "NoSuchKey" || name === "NotFound" || statusOf(error) === 404;
}

function isRetryable(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || status >= 500 || status === 429 || status === 408;
}

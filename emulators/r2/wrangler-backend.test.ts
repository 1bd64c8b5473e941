import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startR2, type StartedR2 } from "./index.ts";
import { WRANGLER_TEMP_PREFIX } from "./wrangler-backend.ts";

interface Proc {
  pid: number;
  pgid: number;
  /** "Z" for a zombie: exited, waiting to be reaped (a process whose parent is gone may stay one here). */
  state: string;
  cmdline: string;
}

/** Every process on the machine, from /proc (Linux). */
function processes(): Proc[] {
  const found: Proc[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ")".
      const [state, , pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ");
      found.push({ pid: Number(name), pgid: Number(pgid), state: state!, cmdline });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return found;
}

const live = (proc: Proc) => proc.state !== "Z";

function wranglerTempDirs(): string[] {
  return readdirSync(tmpdir())
    .filter((name) => name.startsWith(WRANGLER_TEMP_PREFIX))
    .map((name) => join(tmpdir(), name));
}

/** The Worker's binding route for a key. */
function bindingRoute(r2: StartedR2, key: string): string {
  return `${r2.bindingUrl}/${encodeURIComponent(key)}`;
}

describe("startR2 (wrangler backend)", () => {
  let r2: StartedR2;
  let s3: S3Client;
  let tempDir: string;
  beforeAll(async () => {
    const before = wranglerTempDirs();
    r2 = await startR2({ backend: "wrangler" });
    s3 = new S3Client(r2.s3ClientConfig());
    const created = wranglerTempDirs().filter((dir) => !before.includes(dir));
    expect(created).toHaveLength(1);
    tempDir = created[0]!;
  }, 90_000); // Above startR2's own bound on readiness, whose error carries wrangler's output.
  afterAll(async () => {
    s3?.destroy();
    await r2?.stop();
  });

  it("serves the S3 endpoint and the Worker's binding routes from one wrangler dev on loopback", () => {
    expect(r2.backend).toBe("wrangler");
    expect(r2.host).toBe("127.0.0.1");
    expect(r2.port).toBeGreaterThan(0);
    expect(r2.url).toBe(`http://127.0.0.1:${r2.port}`);
    expect(r2.endpoint).toBe(`${r2.url}/cdn-cgi/local/r2/s3`);
    expect(r2.bindingUrl).toBe(`${r2.url}/__moltlab/r2`);
    expect(r2.bucket).toBe("moltbot-data");
    // The generated config holds the secret: readable by its owner only.
    const config = join(tempDir, "worker", "wrangler.json");
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(readFileSync(config, "utf8")).toContain(r2.secretAccessKey);
  });

  it("gives the Worker's binding the bytes the AWS SDK put", async () => {
    const key = `s3-to-binding/${randomBytes(3).toString("hex")}/with space + ünïcode.bin`;
    const body = randomBytes(100_000);
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket: r2.bucket, Key: key, Body: body, ContentType: "application/x-moltlab" }));
    const response = await fetch(bindingRoute(r2, key));
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe(ETag);
    expect(response.headers.get("content-type")).toBe("application/x-moltlab");
    expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);

    const missing = await fetch(bindingRoute(r2, `${key}.missing`));
    expect(missing.status).toBe(404);
  });

  it("gives the AWS SDK the bytes the Worker's binding put", async () => {
    const key = `binding-to-s3/${randomBytes(3).toString("hex")}/openclaw.json`;
    const body = JSON.stringify({ gateway: { port: 18789 }, note: "through env.BUCKET" });
    const response = await fetch(bindingRoute(r2, key), { method: "PUT", body, headers: { "content-type": "application/json" } });
    expect(response.status).toBe(201);
    const stored = (await response.json()) as { key: string; etag: string; size: number };
    expect(stored).toMatchObject({ key, size: Buffer.byteLength(body) });

    const object = await s3.send(new GetObjectCommand({ Bucket: r2.bucket, Key: key }));
    expect(object.ETag).toBe(`"${stored.etag}"`);
    expect(object.ContentType).toBe("application/json");
    expect(await object.Body!.transformToString()).toBe(body);
  });

  it("lists the same keys through S3 and through the binding", async () => {
    const base = `listing/${randomBytes(3).toString("hex")}/`;
    await s3.send(new PutObjectCommand({ Bucket: r2.bucket, Key: `${base}b/over-s3.txt`, Body: "s3" }));
    await fetch(bindingRoute(r2, `${base}a/over-binding.txt`), { method: "PUT", body: "binding" });
    await s3.send(new PutObjectCommand({ Bucket: r2.bucket, Key: `${base}c.txt`, Body: "s3" }));
    await s3.send(new PutObjectCommand({ Bucket: r2.bucket, Key: `elsewhere/${base}`, Body: "not under the prefix" }));

    const overS3 = (await s3.send(new ListObjectsV2Command({ Bucket: r2.bucket, Prefix: base }))).Contents?.map((object) => object.Key);
    const overBinding = await (await fetch(`${r2.bindingUrl}?prefix=${encodeURIComponent(base)}`)).json();
    expect(overS3).toEqual([`${base}a/over-binding.txt`, `${base}b/over-s3.txt`, `${base}c.txt`]);
    expect(overBinding).toEqual(overS3);
  });

  it("rejects a wrong secret (403 SignatureDoesNotMatch) and an unknown access key (401 Unauthorized)", async () => {
    const request = new GetObjectCommand({ Bucket: r2.bucket, Key: "anything" });
    const wrongSecret = new S3Client({ ...r2.s3ClientConfig(), maxAttempts: 1, credentials: { accessKeyId: r2.accessKeyId, secretAccessKey: "0".repeat(64) } });
    const unknownKey = new S3Client({
      ...r2.s3ClientConfig(),
      maxAttempts: 1,
      credentials: { accessKeyId: "f".repeat(32), secretAccessKey: r2.secretAccessKey },
    });
    try {
      const denied = await wrongSecret.send(request).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(denied).toBeInstanceOf(S3ServiceException);
      expect(denied).toMatchObject({ name: "SignatureDoesNotMatch", $metadata: { httpStatusCode: 403 } });
      const stranger = await unknownKey.send(request).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(stranger).toMatchObject({ name: "Unauthorized", $metadata: { httpStatusCode: 401 } });
    } finally {
      wrongSecret.destroy();
      unknownKey.destroy();
    }
  });

  it("keeps the secret off every process command line, and out of the handle's logs and JSON", () => {
    const running = processes();
    // wrangler is running with the temp dir on its command line; workerd runs in its process group.
    const wrangler = running.filter((proc) => live(proc) && proc.cmdline.includes(tempDir));
    expect(wrangler.length).toBeGreaterThan(0);
    const group = running.filter((proc) => live(proc) && proc.pgid === wrangler[0]!.pgid);
    expect(group.some((proc) => proc.cmdline.includes("workerd"))).toBe(true);
    expect(running.filter((proc) => proc.cmdline.includes(r2.secretAccessKey))).toEqual([]);
    expect(inspect(r2, { depth: 5 })).not.toContain(r2.secretAccessKey);
    expect(JSON.stringify(r2)).not.toContain(r2.secretAccessKey);
  });

  // Last: it stops the instance the tests above share.
  it("stop() ends wrangler and workerd and removes the temp dir", async () => {
    const wrangler = processes().filter((proc) => live(proc) && proc.cmdline.includes(tempDir));
    expect(wrangler.length).toBeGreaterThan(0);
    // The bin script wrangler was spawned as leads the group: its pid is the group's id.
    const groupId = wrangler[0]!.pgid;
    expect(wrangler.map((proc) => proc.pid)).toContain(groupId);
    const members = processes().filter((proc) => live(proc) && proc.pgid === groupId);
    expect(members.length).toBeGreaterThanOrEqual(3);
    // wrangler runs with a TMPDIR of its own, where its Miniflare keeps its folder.
    const environ = readFileSync(`/proc/${groupId}/environ`, "latin1").split("\0");
    const privateTmp = environ.find((entry) => entry.startsWith("TMPDIR="))?.slice("TMPDIR=".length);
    expect(privateTmp).toMatch(/moltlab-wrangler-tmp-/);
    expect(readdirSync(privateTmp!).some((name) => name.startsWith("miniflare-"))).toBe(true);

    await r2.stop();

    const after = processes();
    expect(after.filter((proc) => live(proc) && proc.pgid === groupId)).toEqual([]);
    expect(after.filter((proc) => live(proc) && members.some((member) => member.pid === proc.pid))).toEqual([]);
    expect(after.filter((proc) => proc.cmdline.includes(tempDir))).toEqual([]);
    expect(existsSync(tempDir)).toBe(false);
    // Miniflare's folder goes with it: no /tmp/miniflare-* left behind per session.
    expect(existsSync(privateTmp!)).toBe(false);
    // A second stop() is harmless.
    await r2.stop();
  });
});

describe("startR2 (wrangler backend) when wrangler cannot start", () => {
  it("fails with the end of wrangler's output, the secret masked, and leaves no process or temp dir", async () => {
    // A persist path wrangler cannot create (below a file), named after the secret so that
    // wrangler's error message would print it.
    const secretAccessKey = randomBytes(32).toString("hex");
    const parent = await mkdtemp(join(tmpdir(), "moltlab-wrangler-test-"));
    try {
      writeFileSync(join(parent, secretAccessKey), "a file, not a directory");
      const persistPath = join(parent, secretAccessKey, "state");
      const before = wranglerTempDirs();
      const error = await startR2({ backend: "wrangler", secretAccessKey, persistPath }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toMatch(/^wrangler dev exited \(code 1\) before it was ready/);
      expect(message).toContain(`ENOTDIR: not a directory, mkdir '${join(parent, "****", "state")}`);
      expect(message).not.toContain(secretAccessKey);
      expect(wranglerTempDirs()).toEqual(before);
      expect(processes().filter((proc) => live(proc) && proc.cmdline.includes(persistPath))).toEqual([]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

// A process that started the backend and then ends without stop(): on a crash (uncaught error)
// and on SIGTERM, its exit or signal handler must take wrangler's whole process group with it.
const ORPHAN_SCRIPT = `
import { startR2 } from ${JSON.stringify(new URL("./index.ts", import.meta.url).href)};
import { createInterface } from "node:readline";
const r2 = await startR2({ backend: "wrangler" });
process.stdout.write("ready " + r2.port + "\\n");
for await (const line of createInterface({ input: process.stdin })) if (line === "crash") throw new Error("crashed on purpose");
`;

describe("startR2 (wrangler backend) in a process that ends without stop()", () => {
  it.concurrent.for(["crash", "SIGTERM"] as const)(
    "%s: nothing of wrangler is left running, and its temp dir is gone",
    { timeout: 90_000 },
    async (ending, { expect }) => {
      const starter = spawn(process.execPath, ["--input-type=module", "-e", ORPHAN_SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
      let stderr = "";
      starter.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = once(starter, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
      const lines = createInterface({ input: starter.stdout });
      const [first] = (await Promise.race([once(lines, "line"), exited.then(() => [undefined])])) as [string | undefined];
      if (first === undefined) throw new Error(`the starter ended before wrangler was ready:\n${stderr}`);
      expect(first).toMatch(/^ready \d+$/);

      // wrangler's bin script is the starter's child and leads the group; its command line names the temp dir.
      const running = processes();
      const bin = running.find(
        (proc) => live(proc) && proc.pgid === proc.pid && proc.cmdline.includes(WRANGLER_TEMP_PREFIX) && readParentPid(proc.pid) === starter.pid,
      );
      expect(bin).toBeDefined();
      const members = running.filter((proc) => live(proc) && proc.pgid === bin!.pid);
      expect(members.some((proc) => proc.cmdline.includes("workerd"))).toBe(true);
      const dir = /--config (\S+)\/worker\/wrangler\.json/.exec(bin!.cmdline)![1]!;
      expect(existsSync(dir)).toBe(true);

      if (ending === "crash") starter.stdin.write("crash\n");
      else starter.kill("SIGTERM");
      const [code, signal] = await exited;
      if (ending === "crash") {
        expect(code).toBe(1);
        expect(stderr).toContain("crashed on purpose");
      } else {
        // Our handler re-raised the signal, so the starter ended the way it would have without us.
        expect(signal).toBe("SIGTERM");
      }
      // The handler's SIGKILL is sent before the starter exits, but a killed process (esbuild's Go
      // service with its threads) finishes dying on its own time, and a test cannot wait on the exit
      // of processes that are not its children: so this one condition is polled, within a bound.
      await expect.poll(() => processes().filter((proc) => live(proc) && members.some((member) => member.pid === proc.pid)), { timeout: 10_000 }).toEqual([]);
      expect(processes().filter((proc) => proc.cmdline.includes(dir))).toEqual([]);
      expect(existsSync(dir)).toBe(false);
    },
  );
});

function readParentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

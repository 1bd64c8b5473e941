import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type HeldLock, takeFileLock } from "./file-lock.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("takeFileLock", () => {
  it("holds an exclusive lock until it is released: another taker waits, or gives up naming what holds it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "moltlab-lock-"));
    dirs.push(dir);
    const path = join(dir, "build.lock");
    const first = await takeFileLock(path, "exclusive", 5000, "the first holds it");
    let second: HeldLock | undefined;
    const waiting = takeFileLock(path, "exclusive", 60_000, "the first holds it").then((lock) => {
      second = lock;
    });
    await expect(takeFileLock(path, "exclusive", 1000, "the first holds it")).rejects.toThrow(/within 1 s .*: the first holds it$/);
    expect(second).toBeUndefined();
    await first.release();
    await waiting;
    expect(second?.mode).toBe("exclusive");
    await second!.release();
  });

  it("lets several shared holders in at once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "moltlab-lock-"));
    dirs.push(dir);
    const path = join(dir, "engine.lock");
    const holders = await Promise.all([takeFileLock(path, "shared", 5000, "busy"), takeFileLock(path, "shared", 5000, "busy")]);
    expect(holders.map((holder) => holder.mode)).toEqual(["shared", "shared"]);
    for (const holder of holders) await holder.release();
  });
});

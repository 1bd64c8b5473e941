import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readOpenclawVersion } from "./openclaw-version.ts";

describe("the image's OpenClaw version, from its tools.json", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("reads the recorded version, and is undefined for 'unknown', a broken file or none", async () => {
    dir = await mkdtemp(join(tmpdir(), "moltlab-tools-"));
    const file = join(dir, "tools.json");
    await writeFile(file, JSON.stringify({ schema: 1, arch: "amd64", openclaw: "2026.9.6", tools: [] }));
    expect(await readOpenclawVersion(file)).toBe("2026.9.6");
    await writeFile(file, JSON.stringify({ schema: 1, arch: "amd64", openclaw: "unknown", tools: [] }));
    expect(await readOpenclawVersion(file)).toBeUndefined();
    await writeFile(file, "{ not json");
    expect(await readOpenclawVersion(file)).toBeUndefined();
    expect(await readOpenclawVersion(join(dir, "absent.json"))).toBeUndefined();
  });
});

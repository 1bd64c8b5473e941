import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cacheFolders, cacheVersionTag, describeCompileCache } from "./tag.ts";

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe("the compile cache's folders", () => {
  it("names the folder Node itself picks for a process", () => {
    // A child Node turns the cache on and says where it went: the same name, for the same uid.
    const picked = execFileSync(
      process.execPath,
      [
        "-e",
        "const m = require('node:module'); m.enableCompileCache(process.argv[1]); console.log(m.getCompileCacheDir())",
        join(tmpdir(), "moltlab-tag-probe"),
      ],
      { encoding: "utf8" },
    ).trim();
    roots.push(join(tmpdir(), "moltlab-tag-probe"));
    expect(picked.split("/").at(-1)).toBe(cacheVersionTag());
    expect(cacheVersionTag(1000)).toMatch(/^v\d+\.\d+\.\d+-(x64|arm64)-[0-9a-f]{8}-1000$/);
  });

  it("finds the tag folders OpenClaw's layout puts four levels down, and nothing above or below them", () => {
    const root = mkdtempSync(join(tmpdir(), "moltlab-cache-"));
    roots.push(root);
    const folder = join(root, "openclaw", "2026.9.6", "1796644432546-142802", "v24.21.0-x64-964aae3f-1000");
    mkdirSync(join(folder, "deeper"), { recursive: true });
    writeFileSync(join(folder, "fd96a387"), "cached code");
    expect(cacheFolders(root)).toEqual([{ tag: "v24.21.0-x64-964aae3f-1000", dir: folder }]);
    expect(cacheFolders(join(root, "missing"))).toEqual([]);
  });

  it("says whether this machine finds the image's entries", () => {
    const here = cacheVersionTag(1000);
    expect(describeCompileCache(1000, [{ tag: here }])).toMatch(/fits this machine/);
    const elsewhere = describeCompileCache(1000, [{ tag: "v24.21.0-x64-00000000-1000" }]);
    expect(elsewhere).toContain(`made for v24.21.0-x64-00000000-1000, this machine needs ${here}`);
    expect(elsewhere).toContain("compiles its modules at every cold start");
    // Made for another user: root's entries are no use to the gateway's node.
    expect(describeCompileCache(1000, [{ tag: cacheVersionTag(0) }])).toContain("this machine needs");
    expect(describeCompileCache(1000, [])).toMatch(/carries no OpenClaw compile cache/);
  });
});

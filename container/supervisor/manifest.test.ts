/**
 * snapshot.ts's pure parts: what a manifest from the bucket may say (the restore runs as root
 * soon, so a manifest that could make it write outside its roots is refused whole), and
 * snapshot ids that keep sorting forward when a clock ran ahead.
 */
import { describe, expect, it } from "vitest";
import { MANIFEST_FORMAT, nextSnapshotId, parseManifest, SnapshotProblem, type Entry, type FileEntry } from "./snapshot.ts";

const ID = "20261120T101112345Z-a1b2c3";
const SHA = "0".repeat(64);

const file = (path: string): FileEntry => ({ path, type: "file", sha256: SHA, size: 0, mode: 0o644 });
const dir = (path: string): Entry => ({ path, type: "dir", mode: 0o755 });
const link = (path: string, target = "/tmp/elsewhere"): Entry => ({ path, type: "symlink", target });

function manifestText(entries: Entry[]): string {
  return JSON.stringify({ format: MANIFEST_FORMAT, id: ID, createdAt: "2026-11-20T10:11:12.345Z", roots: { workspace: entries } });
}

describe("parseManifest: the order and shape of a root's entries", () => {
  it("accepts the scan's order: a folder's entries right after it, names sorted within a folder", () => {
    // "a-b" < "a/x" as strings, but the scan lists a/x first (it walks into a before a-b).
    const entries = [dir("a"), file("a/x"), link("a/y", "x"), file("a-b"), file("a.txt"), dir("b"), dir("b/c"), file("b/c/d")];
    expect(parseManifest(manifestText(entries), ID).roots.workspace).toEqual(entries);
  });

  const refusals: Array<[string, Entry[], RegExp]> = [
    ["paths out of order", [file("b"), file("a")], /workspace: a comes after b/],
    ["a repeated file", [file("a"), file("a")], /workspace: a is listed twice/],
    ["a folder repeated as a symlink", [dir("s"), link("s")], /workspace: s is listed twice/],
    ["a file written through the symlink its folder became", [file("a/b/c"), link("a/b"), file("a/b/.bashrc")], /workspace: a\/b comes after a\/b\/c/],
    ["an entry below a symlink", [link("s"), file("s/evil")], /workspace: s\/evil is below the symlink s/],
    ["an entry below a file", [file("f"), dir("f/sub")], /workspace: f\/sub is below the file f/],
    ["a deep entry below a symlink", [link("s"), dir("s/a"), file("s/a/b")], /workspace: s\/a is below the symlink s/],
  ];
  for (const [what, entries, message] of refusals) {
    it(`refuses ${what}, naming the path`, () => {
      const parse = () => parseManifest(manifestText(entries), ID);
      expect(parse).toThrow(SnapshotProblem);
      expect(parse).toThrow(message);
    });
  }
});

describe("parseManifest: pack references", () => {
  it("takes an empty file with an offset and no pack (written by backups before 7 Dec 2026): it needs no content", () => {
    const empty = { ...file("lock"), offset: 0 };
    expect(parseManifest(manifestText([empty]), ID).roots.workspace).toEqual([empty]);
  });

  it("refuses an offset without a pack for a file that has bytes", () => {
    const parse = () => parseManifest(manifestText([{ ...file("notes"), size: 5, offset: 0 }]), ID);
    expect(parse).toThrow("workspace: notes: bad pack reference");
  });
});

describe("nextSnapshotId", () => {
  const now = new Date("2026-11-20T10:11:12.345Z");
  const SNAPSHOT_ID = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

  it("follows the clock when the previous id is older, or there is none", () => {
    expect(nextSnapshotId(null, now)).toMatch(/^20261120T101112345Z-[0-9a-f]{6}$/);
    expect(nextSnapshotId("20261120T101112344Z-ffffff", now)).toMatch(/^20261120T101112345Z-/);
  });

  it("is one millisecond after a previous id from a clock that ran ahead", () => {
    const next = nextSnapshotId("20990101T000000000Z-abcdef", now);
    expect(next).toMatch(SNAPSHOT_ID);
    expect(next).toMatch(/^20990101T000000001Z-/);
    expect(next > "20990101T000000000Z-abcdef").toBe(true);
  });

  it("is after a previous id of the same millisecond, whatever its suffix", () => {
    expect(nextSnapshotId("20261120T101112345Z-ffffff", now)).toMatch(/^20261120T101112346Z-/);
  });

  it("carries over into the next year", () => {
    expect(nextSnapshotId("20991231T235959999Z-abcdef", now)).toMatch(/^21000101T000000000Z-[0-9a-f]{6}$/);
  });
});

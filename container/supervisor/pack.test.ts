/**
 * PackVerifier on its own: a pack's bytes may arrive in chunks of any size (read back from
 * staging), slices may repeat or overlap (a hostile or damaged manifest), and every slice a
 * file names is checked whatever the chunking.
 */
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { PackVerifier, PackWriter, type PackedFile } from "./pack.ts";
import { SnapshotKeys } from "./snapshot.ts";
import type { Bucket } from "./storage.ts";

const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const slice = (pack: Buffer, path: string, offset: number, size: number): PackedFile => ({
  path,
  offset,
  size,
  sha256: sha(pack.subarray(offset, offset + size)),
});

/** Feeds `pack` to a verifier in chunks of `chunk` bytes, then finishes it. */
function verify(pack: Buffer, files: PackedFile[], chunk: number, size = pack.length): void {
  const verifier = new PackVerifier("p", { size }, files);
  for (let at = 0; at < pack.length; at += chunk) verifier.update(pack.subarray(at, at + chunk));
  verifier.finish();
}

describe("PackVerifier", () => {
  const pack = randomBytes(1000);
  const files = [
    slice(pack, "b", 300, 500),
    slice(pack, "a", 0, 300),
    slice(pack, "same-as-a", 0, 300),
    slice(pack, "overlap", 250, 100),
    slice(pack, "empty", 1000, 0),
  ];

  it("accepts a pack whose every named slice matches, in chunks of any size", () => {
    for (const chunk of [1, 7, 256, 300, 1000, 4096]) expect(() => verify(pack, files, chunk)).not.toThrow();
  });

  it("catches a flipped bit in any slice, whatever the chunking, naming the file", () => {
    for (const [at, path] of [
      [0, "a"],
      [600, "b"],
    ] as const) {
      const damaged = Buffer.from(pack);
      damaged[at]! ^= 0x01;
      for (const chunk of [1, 64, 1000]) expect(() => verify(damaged, files, chunk)).toThrow(`pack p fails the checksum of ${path} (bytes`);
    }
    // Bytes no file names are never used, so not checked.
    const unnamed = Buffer.from(pack);
    unnamed[900]! ^= 0x01;
    expect(() => verify(unnamed, files, 64)).not.toThrow();
  });

  it("checks every file at a shared offset, not one of them", () => {
    const other = { ...slice(pack, "other", 0, 300), sha256: sha(Buffer.from("something else")) };
    expect(() => verify(pack, [...files, other], 100)).toThrow("pack p fails the checksum of other (bytes 0–300)");
  });

  it("refuses a pack of another size than the manifest's", () => {
    expect(() => verify(pack.subarray(0, 999), files.slice(0, 2), 100, 1000)).toThrow("pack p is 999 bytes, the manifest says 1000 (truncated or replaced)");
    expect(() => verify(Buffer.concat([pack, Buffer.from("x")]), files, 100, 1000)).toThrow(
      "pack p is 1001 bytes, the manifest says 1000 (truncated or replaced)",
    );
  });
});

describe("PackWriter", () => {
  it("refuses an empty content: a pack of nothing is never sealed, and its files would get no pack id", () => {
    const writer = new PackWriter({} as Bucket, new SnapshotKeys("t/"));
    expect(() => writer.add(Buffer.alloc(0))).toThrow("an empty content has no place in a pack");
    expect(writer.add(Buffer.from("x"))).toMatchObject({ offset: 0 });
  });
});

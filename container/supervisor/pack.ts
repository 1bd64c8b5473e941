/**
 * Packs: the contents of small files concatenated into one object, as restic and borg do, so
 * a backup or a restore of thousands of small files costs a few requests instead of one per
 * file. A pack is named by the SHA-256 of its bytes and holds no header: the manifest says
 * which file lies at which offset and checks each slice by the file's own SHA-256. A pack is
 * complete in the bucket before any manifest names it (PackWriter.finish before the manifest).
 */
import { createHash, type Hash } from "node:crypto";
import type { PackInfo, SnapshotKeys } from "./snapshot.ts";
import { SnapshotProblem } from "./snapshot.ts";
import type { Bucket } from "./storage.ts";

/** Files up to this size go into packs; larger ones are their own objects (one request is nothing next to their bytes). */
export const PACK_FILE_LIMIT = 1024 * 1024;
/** A pack is sealed and uploaded once it holds this much: ~25 objects for 200 MB, and a bounded buffer in memory. */
export const PACK_TARGET = 8 * 1024 * 1024;
/** Packs uploading at once: with the one being filled, at most 3 × PACK_TARGET in memory (a lite instance has 256 MiB). */
const PARALLEL_PACK_UPLOADS = 2;

/** Where a content went in a pack being written: `pack` is known once the pack is sealed. */
export interface PackRef {
  offset: number;
  readonly builder: { id?: string };
}

/** Fills packs with contents and uploads each once full, a bounded number at a time. */
export class PackWriter {
  readonly #bucket: Bucket;
  readonly #keys: SnapshotKeys;
  #parts: Buffer[] = [];
  #size = 0;
  #builder: { id?: string } = {};
  readonly #inFlight = new Set<Promise<void>>();
  #failure: unknown;
  /** Packs this writer uploaded, by id. */
  readonly written = new Map<string, PackInfo>();

  constructor(bucket: Bucket, keys: SnapshotKeys) {
    this.#bucket = bucket;
    this.#keys = keys;
  }

  /** Appends one content to the pack being filled; call `flush` after it. */
  add(content: Buffer): PackRef {
    this.#throwIfFailed();
    // A pack of empty contents only would hold 0 bytes and never be sealed: its files would get no pack id.
    if (content.length === 0) throw new Error("an empty content has no place in a pack: its entry needs none (storesContent)");
    const ref: PackRef = { offset: this.#size, builder: this.#builder };
    this.#parts.push(content);
    this.#size += content.length;
    return ref;
  }

  /** Seals and uploads the pack once full, waiting for an upload slot: the backpressure that bounds memory. */
  async flush(): Promise<void> {
    if (this.#size >= PACK_TARGET) await this.#seal(false);
  }

  /** Seals the last pack and waits for every upload: after this, every PackRef has its pack id. */
  async finish(): Promise<void> {
    await this.#seal(true);
    await Promise.all(this.#inFlight);
    this.#throwIfFailed();
  }

  /** Uploads the pack being filled: when full, or (`last`) whatever it holds. */
  async #seal(last: boolean): Promise<void> {
    while (this.#inFlight.size >= PARALLEL_PACK_UPLOADS) await Promise.race(this.#inFlight);
    this.#throwIfFailed();
    // Another flush waiting for a slot may have sealed the pack meanwhile: this one may be new and not full yet.
    if (this.#size === 0 || (!last && this.#size < PACK_TARGET)) return;
    const body = Buffer.concat(this.#parts, this.#size);
    const id = createHash("sha256").update(body).digest("hex");
    this.#builder.id = id;
    this.#parts = [];
    this.#size = 0;
    this.#builder = {};
    if (this.written.has(id)) return; // the same bytes twice in one run: already on their way
    this.written.set(id, { size: body.length });
    const upload = this.#bucket.put(this.#keys.pack(id), body).then(
      () => undefined,
      (error: unknown) => {
        this.#failure ??= error;
      },
    );
    const tracked = upload.finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}

/** A file's slice of a pack, as a manifest names it. */
export interface PackedFile {
  path: string;
  sha256: string;
  size: number;
  offset: number;
}

/**
 * Checks a downloaded pack against the manifest before anything local is touched, as its
 * bytes go by (from memory or read back from staging, each byte hashed once): its size, and
 * every slice a file names against that file's SHA-256 (a flipped bit anywhere a file reads
 * from is caught; bytes no file names are never used). Slices may overlap or repeat.
 */
export class PackVerifier {
  readonly #id: string;
  readonly #size: number;
  /** By offset: a slice is hashed from the chunk it starts in to the one it ends in. */
  readonly #files: readonly PackedFile[];
  #next = 0;
  #open: { file: PackedFile; hash: Hash }[] = [];
  #position = 0;

  constructor(id: string, info: PackInfo, files: readonly PackedFile[]) {
    this.#id = id;
    this.#size = info.size;
    this.#files = [...files].sort((a, b) => a.offset - b.offset);
  }

  /** The pack's next bytes; throws the first slice that fails its checksum. */
  update(chunk: Buffer): void {
    const start = this.#position;
    const end = start + chunk.length;
    this.#position = end;
    // `<=`: an empty file at the chunk's end is complete (and checked) right away.
    while (this.#next < this.#files.length && this.#files[this.#next]!.offset <= end) {
      this.#open.push({ file: this.#files[this.#next]!, hash: createHash("sha256") });
      this.#next++;
    }
    this.#open = this.#open.filter(({ file, hash }) => {
      const from = Math.max(file.offset, start);
      const to = Math.min(file.offset + file.size, end);
      if (to > from) hash.update(chunk.subarray(from - start, to - start));
      if (file.offset + file.size > end) return true;
      if (hash.digest("hex") !== file.sha256)
        throw new SnapshotProblem(`pack ${this.#id} fails the checksum of ${file.path} (bytes ${file.offset}–${file.offset + file.size})`);
      return false;
    });
  }

  /** After the last bytes: the pack must be the size the manifest says, every slice checked. */
  finish(): void {
    if (this.#position !== this.#size)
      throw new SnapshotProblem(`pack ${this.#id} is ${this.#position} bytes, the manifest says ${this.#size} (truncated or replaced)`);
    const unchecked = this.#open[0]?.file ?? this.#files[this.#next];
    if (unchecked) throw new SnapshotProblem(`${unchecked.path}: lies beyond the end of pack ${this.#id}`);
  }
}

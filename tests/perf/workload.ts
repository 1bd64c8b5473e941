/**
 * Synthetic workspaces for the backup figures: a total size split into files of one size,
 * each with its own random bytes (snapshots are content-addressed, so repeated content
 * would be uploaded once and flatter the numbers), at most 256 files per folder.
 */
import { randomFillSync } from "node:crypto";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const MB = 1024 * 1024;

export interface Shape {
  /** Stable id part: "many-small" or "few-large". */
  id: string;
  label: string;
  /** Size of each file for a given total. */
  fileBytes(totalBytes: number): number;
}

export const SHAPES: readonly Shape[] = [
  { id: "many-small", label: "many small files (16 KiB each)", fileBytes: () => 16 * 1024 },
  { id: "few-large", label: "few large files (4 files)", fileBytes: (total) => Math.ceil(total / 4) },
];

export interface Workload {
  files: number;
  bytes: number;
}

/** Where writeWorkload puts its n-th file, relative to the workload's folder: at most 256 files per subfolder. */
const folderOf = (n: number) => `d${String(Math.floor(n / 256)).padStart(3, "0")}`;
const fileOf = (n: number) => join(folderOf(n), `f${String(n).padStart(5, "0")}.bin`);

/**
 * Rewrites the first file of a workload with fresh random bytes of the same size (the file
 * count and bytes stay what writeWorkload returned); returns its size.
 */
export async function rewriteOneFile(dir: string): Promise<number> {
  const path = join(dir, fileOf(0));
  const size = (await stat(path)).size;
  await writeFile(path, randomFillSync(Buffer.alloc(size)));
  return size;
}

/** Writes `totalBytes` of random files under `dir`; returns the file count and bytes written. */
export async function writeWorkload(dir: string, totalBytes: number, fileBytes: number): Promise<Workload> {
  const buffer = Buffer.allocUnsafe(Math.min(fileBytes, 8 * MB));
  let written = 0;
  let files = 0;
  while (written < totalBytes) {
    const size = Math.min(fileBytes, totalBytes - written);
    if (files % 256 === 0) await mkdir(join(dir, folderOf(files)), { recursive: true });
    // Large files are written in chunks of fresh random bytes, so no two chunks repeat either.
    const chunks: Buffer[] = [];
    for (let left = size; left > 0; left -= buffer.length) {
      const chunk = Buffer.from(randomFillSync(buffer).subarray(0, Math.min(buffer.length, left)));
      chunks.push(chunk);
    }
    await writeFile(join(dir, fileOf(files)), Buffer.concat(chunks));
    written += size;
    files++;
  }
  return { files, bytes: written };
}

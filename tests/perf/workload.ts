/**
 * Synthetic workspaces for the backup figures: a total size split into files of one size,
 * each with its own random bytes (snapshots are content-addressed, so repeated content
 * would be uploaded once and flatter the numbers), at most 256 files per folder.
 */
import { randomFillSync } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
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

/** Writes `totalBytes` of random files under `dir`; returns the file count and bytes written. */
export async function writeWorkload(dir: string, totalBytes: number, fileBytes: number): Promise<Workload> {
  const buffer = Buffer.allocUnsafe(Math.min(fileBytes, 8 * MB));
  let written = 0;
  let files = 0;
  while (written < totalBytes) {
    const size = Math.min(fileBytes, totalBytes - written);
    const folder = join(dir, `d${String(Math.floor(files / 256)).padStart(3, "0")}`);
    if (files % 256 === 0) await mkdir(folder, { recursive: true });
    // Large files are written in chunks of fresh random bytes, so no two chunks repeat either.
    const chunks: Buffer[] = [];
    for (let left = size; left > 0; left -= buffer.length) {
      const chunk = Buffer.from(randomFillSync(buffer).subarray(0, Math.min(buffer.length, left)));
      chunks.push(chunk);
    }
    await writeFile(join(folder, `f${String(files).padStart(5, "0")}.bin`), Buffer.concat(chunks));
    written += size;
    files++;
  }
  return { files, bytes: written };
}

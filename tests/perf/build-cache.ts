/**
 * BuildKit's cache records, so the bench can remove exactly what its cold builds added
 * (a --no-cache build writes new records, ~1.7 GB per arch here, that nothing reuses) and
 * leave everyone else's cache alone.
 */
import { docker } from "../../core/docker.ts";
import { tryRun } from "../../core/exec.ts";

export interface CacheRecord {
  id: string;
  createdAt: number;
  usageCount: number;
  inUse: boolean;
  bytes: number;
}

const UNITS: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

export function parseSize(text: string): number {
  const match = /^([\d.]+)\s*([kKMGT]?B)$/.exec(text.trim());
  return match ? Number(match[1]) * (UNITS[match[2]!] ?? 1) : 0;
}

/** Parses `docker buildx du --verbose` (blocks of "Key:\tvalue" lines separated by blank lines). */
export function parseCacheRecords(text: string): CacheRecord[] {
  const records: CacheRecord[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split("\n")) {
      const match = /^([A-Za-z ]+):\s*(.*)$/.exec(line);
      if (match) fields.set(match[1]!.trim(), match[2]!.trim());
    }
    const id = fields.get("ID");
    const created = fields.get("Created at");
    if (!id || !created) continue;
    // "2026-11-25 22:18:57.508488595 +0000 UTC" → an ISO time Date.parse accepts.
    const [date, time] = created.split(" ");
    records.push({
      id,
      createdAt: Date.parse(`${date}T${time!.slice(0, 12)}Z`),
      usageCount: Number(fields.get("Usage count") ?? "0"),
      inUse: fields.get("In use") === "true",
      bytes: parseSize(fields.get("Size") ?? "0B"),
    });
  }
  return records;
}

export async function cacheRecords(): Promise<CacheRecord[]> {
  const result = await tryRun("docker", ["buildx", "du", "--verbose"]);
  return result.code === 0 ? parseCacheRecords(result.stdout) : [];
}

/**
 * Removes the records created between `from` and `to` (epoch ms) that were used once: what
 * builds in that window made and nothing reused. Returns the bytes freed.
 */
export async function pruneCreatedBetween(from: number, to: number): Promise<number> {
  const mine = (await cacheRecords()).filter((record) => record.createdAt >= from && record.createdAt <= to && record.usageCount <= 1 && !record.inUse);
  if (!mine.length) return 0;
  // One id per call (buildx accepts one value per filter key); newest first, so a layer goes
  // before the one it was built on.
  for (const record of mine.sort((a, b) => b.createdAt - a.createdAt)) await docker(["buildx", "prune", "--force", "--filter", `id=${record.id}`]);
  const left = new Set((await cacheRecords()).map((record) => record.id));
  return mine.filter((record) => !left.has(record.id)).reduce((sum, record) => sum + record.bytes, 0);
}

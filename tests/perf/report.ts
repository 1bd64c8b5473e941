/** Small helpers for perf runs: they print medians and ratios, and never judge them. */

export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error("median of no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Times `body` `runs` times, one after another, and returns the samples in milliseconds. */
export async function sample(runs: number, body: () => Promise<void> | void): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await body();
    samples.push(performance.now() - started);
  }
  return samples;
}

export interface Row {
  label: string;
  samples: readonly number[];
}

/** Prints one line per row: median, min, max, and the ratio of its median to the first row's. */
export function printTable(title: string, rows: readonly Row[]): void {
  const baseline = median(rows[0]!.samples);
  const lines = rows.map(({ label, samples }) => {
    const m = median(samples);
    return `  ${label.padEnd(36)} median ${m.toFixed(0).padStart(6)} ms   min ${Math.min(...samples).toFixed(0).padStart(6)}   max ${Math.max(...samples).toFixed(0).padStart(6)}   ×${(m / baseline).toFixed(2)}   (n=${samples.length})`;
  });
  console.log(`\n${title}\n${lines.join("\n")}`);
}

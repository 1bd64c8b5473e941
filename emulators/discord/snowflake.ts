/**
 * Snowflake ids as Discord makes them: milliseconds since the Discord epoch (2015-01-01T00:00:00Z)
 * in the top 42 bits, then a 5-bit worker, a 5-bit process and a 12-bit increment. Libraries read
 * the time back out of them (discord.js's `createdTimestamp`), so they must carry a real one.
 */
export const DISCORD_EPOCH_MS = 1_420_070_400_000;

const WORKER = 1n;
const PROCESS = 0n;
let increment = 0n;

export function snowflake(at: number = Date.now()): string {
  const id = (BigInt(at - DISCORD_EPOCH_MS) << 22n) | (WORKER << 17n) | (PROCESS << 12n) | (increment++ & 0xfffn);
  return id.toString();
}

/** The creation time (ms since 1970) a snowflake carries. */
export function timestampOf(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH_MS;
}

export function isSnowflake(value: string): boolean {
  return /^\d{15,21}$/.test(value);
}

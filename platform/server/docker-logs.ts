/** A container's last log lines, for the error that says why it exited before it was ready. */
import type Docker from "dockerode";

const LOG_TAIL_LINES = 20;

/** The last lines of a container's stdout and stderr; never throws (it is only ever an error's detail). */
export async function logTail(container: Docker.Container, lines = LOG_TAIL_LINES): Promise<string> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, follow: false, tail: lines })) as unknown as Buffer;
    return demuxLogs(raw).trimEnd() || "(no output)";
  } catch {
    return "(logs unavailable)";
  }
}

/** Docker multiplexes stdout and stderr of a non-TTY container: 8-byte frame headers, then the payload. */
export function demuxLogs(raw: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length && raw[offset]! <= 2 && raw[offset + 1] === 0) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return offset === 0 ? raw.toString("utf8") : Buffer.concat(parts).toString("utf8");
}

import { randomBytes } from "node:crypto";

/** `bytes` random bytes as lowercase hex (2 × bytes characters): tokens, keys and passwords for one run. */
export function randomSecret(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

/**
 * Every way the team domain's JWKS (`GET /cdn-cgi/access/certs`) can let a verifier down, as
 * the emulator plays them on demand (`POST /__moltlab/access/certs/<fault>`, see app.ts).
 * A file of its own that imports nothing, so the Worker's tests (in workerd) walk the same list.
 */
export const CERTS_FAULTS = [
  /** The connection fails: the socket is reset before any byte (a thrown fetch in-process). */
  "unreachable",
  /** 503 with an HTML error page, as an edge in trouble answers. */
  "server-error",
  /** 200 with an HTML page instead of JSON (a captive portal, a misrouted host). */
  "garbage",
  /** 200 JSON that is not a JSON Web Key Set. */
  "not-a-key-set",
  /** Never answers until the client gives up (or the fault is cleared). */
  "hang",
] as const;
export type CertsFault = (typeof CERTS_FAULTS)[number];

/** What `POST /__moltlab/access/certs/<name>` accepts: a fault, or `ok` to serve the keys again. */
export const CERTS_OK = "ok";

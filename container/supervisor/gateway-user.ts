/**
 * Who the gateway runs as. OpenClaw runs shell commands an LLM chooses, so the agent must not
 * be able to read what the supervisor holds (the R2 credentials): a process can read the
 * /proc/<pid>/environ and memory of every process of its own user. The image therefore starts
 * tini and the supervisor as root and the gateway — and everything it spawns — as
 * MOLTLAB_GATEWAY_USER (the image sets `node`): a different user, without capabilities, that
 * cannot read root's processes. Started as any other user, the supervisor cannot switch users
 * and runs the gateway as itself, saying so.
 */
import { readFileSync } from "node:fs";

export interface GatewayUser {
  name: string;
  uid: number;
  gid: number;
  /** From /etc/passwd for a named user; undefined for `uid:gid`, which keeps the supervisor's HOME. */
  home?: string;
}

/**
 * null: the gateway runs as the supervisor's own user (no separation). Otherwise the user to
 * spawn it as. `problem` when the setting cannot be honoured (the supervisor refuses to start).
 */
export type GatewayUserResult = { ok: true; user: GatewayUser | null; note?: string } | { ok: false; problem: string };

export interface UserLookup {
  /** The supervisor's own uid (process.getuid()). */
  uid: number;
  /** /etc/passwd's text. */
  passwd: () => string;
}

const defaultLookup: UserLookup = { uid: process.getuid?.() ?? -1, passwd: () => readFileSync("/etc/passwd", "utf8") };

/**
 * `spec` is a user name from /etc/passwd or `uid:gid` (numeric, e.g. for tests), or unset.
 * Unset, or the supervisor not root: no separation (with a note when it matters).
 */
export function resolveGatewayUser(spec: string | undefined, lookup: UserLookup = defaultLookup): GatewayUserResult {
  const wanted = spec?.trim();
  if (!wanted) {
    return lookup.uid === 0
      ? {
          ok: true,
          user: null,
          note: "MOLTLAB_GATEWAY_USER is not set: the gateway runs as root, and the agent can read the R2 credentials (set it to an unprivileged user, as the image does)",
        }
      : { ok: true, user: null };
  }
  const user = parseSpec(wanted, lookup);
  if (typeof user === "string") return { ok: false, problem: user };
  if (lookup.uid !== 0) {
    if (user.uid === lookup.uid) return { ok: true, user: null };
    return {
      ok: true,
      user: null,
      note: `the supervisor is not root (uid ${lookup.uid}), so it cannot run the gateway as ${user.name}: the gateway runs as uid ${lookup.uid}, and the agent can read the R2 credentials (start the container as root — the image's default — to separate them)`,
    };
  }
  if (user.uid === 0) {
    return { ok: true, user: null, note: "MOLTLAB_GATEWAY_USER is root: the gateway runs as root, and the agent can read the R2 credentials" };
  }
  return { ok: true, user };
}

function parseSpec(spec: string, lookup: UserLookup): GatewayUser | string {
  const numeric = /^(\d+):(\d+)$/.exec(spec);
  if (numeric) {
    const uid = Number(numeric[1]);
    const gid = Number(numeric[2]);
    const known = passwdEntries(lookup).find((entry) => entry.uid === uid);
    return { name: known?.name ?? `uid ${uid}`, uid, gid };
  }
  if (!/^[a-z_][a-z0-9_-]*\$?$/i.test(spec)) return `MOLTLAB_GATEWAY_USER must be a user name or uid:gid (got "${spec}")`;
  const entry = passwdEntries(lookup).find((candidate) => candidate.name === spec);
  if (!entry)
    return `MOLTLAB_GATEWAY_USER names the user "${spec}", who is not in /etc/passwd: create the user in the image (useradd), or name an existing one`;
  return entry;
}

function passwdEntries(lookup: UserLookup): GatewayUser[] {
  let text: string;
  try {
    text = lookup.passwd();
  } catch {
    return [];
  }
  const entries: GatewayUser[] = [];
  for (const line of text.split("\n")) {
    const [name, , uid, gid, , home] = line.split(":");
    if (!name || uid === undefined || gid === undefined || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) continue;
    entries.push({ name, uid: Number(uid), gid: Number(gid), home: home || "/" });
  }
  return entries;
}

/** spawn()'s options that make a child run as `user` (libuv also drops supplementary groups). */
export function spawnIdentity(user: GatewayUser | null): { uid?: number; gid?: number } {
  return user ? { uid: user.uid, gid: user.gid } : {};
}

/** USER and LOGNAME of the gateway user, not root's (HOME is the state's home, set by the caller). */
export function identityEnv(user: GatewayUser | null): Record<string, string> {
  return user ? { USER: user.name, LOGNAME: user.name } : {};
}

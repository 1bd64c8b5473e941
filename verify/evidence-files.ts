/**
 * The evidence files the integration tests write to reports/ and verify reads: their
 * names and shapes in one place, so a test and its reader cannot drift apart.
 */

export const EVIDENCE_FILES = {
  toolsMatrix: "tools-matrix.json",
  dind: "dind.json",
  chat: "chat.json",
  persistence: "persistence.json",
  bench: "bench.json",
} as const;

/** reports/tools-matrix.json (tests/integration/openclaw-tools.test.ts). */
export interface ToolsMatrixFile {
  generatedAt: string;
  instanceType: string;
  arm64: string;
  tools: {
    tool: string;
    version: string;
    amd64?: ToolOutcome;
    arm64?: ToolOutcome;
  }[];
}
export interface ToolOutcome {
  status: "ok" | "failed" | "not installed";
  evidence: string;
}

/**
 * cloudflare-profile: plain `dockerd` under the profile; documented-flags: the same profile with
 * the dockerd flags Cloudflare's Docker-in-Docker guide uses (no iptables, no bridge) and vfs
 * storage (no mounts); privileged: what a Kubernetes dind sidecar gets.
 */
export type DindMode = "cloudflare-profile" | "documented-flags" | "privileged";

/** One attempt to start dockerd inside a container (tests/integration/openclaw-dind.test.ts). */
export interface DindOutcome {
  mode: DindMode;
  /** false when the engine itself refused to run the container (then dockerd was never tried). */
  containerStarted: boolean;
  dockerdStarted: boolean;
  /** `docker info` answered by the inner engine: server version and storage driver. */
  server: string | null;
  /** A container run by the inner engine: an image imported from /bin/true and its libraries (no registry needed). */
  innerContainer: string | null;
  /** How long until dockerd answered or gave up. */
  ms: number;
  evidence: string;
}

/** reports/dind.json (tests/integration/openclaw-dind.test.ts). */
export interface DindFile {
  generatedAt: string;
  instanceType: string;
  image: string;
  outcomes: DindOutcome[];
}

/** The supervisor's boot phases as the tests measure them (bootTimings in openclaw-harness.ts). */
export interface BootTimings {
  restoreMs: number | null;
  configMs: number | null;
  gatewayMs: number | null;
  containerStartToReadyMs: number | null;
}

/** reports/chat.json (tests/integration/openclaw-chat.test.ts), one run per architecture. */
export interface ChatFile {
  generatedAt: string;
  source: string;
  runs: Partial<Record<"amd64" | "arm64", ChatRun>>;
}
export interface ChatRun {
  instanceType?: string;
  host?: string;
  boot?: BootTimings;
  /** POST /v1/chat/completions: status, whether the scripted reply came back, wall time of the turn. */
  httpTurn?: { status: number; replied: boolean; ms: number };
  /** WebSocket connect + chat.send → final. */
  wsTurn?: { replied: boolean; ms: number; turnMs: number };
  sigtermExitMs?: number;
  exitCode?: number;
  /** Each test that ran to its end (all its assertions held). */
  passed?: Record<string, true>;
}

/** reports/persistence.json (tests/integration/openclaw-persistence.test.ts). */
export interface PersistenceFile {
  generatedAt: string;
  source: string;
  arch?: string;
  /** Boot A (fresh), B (restored after SIGTERM), C (after SIGKILL), D (newest snapshot truncated). */
  boots?: Partial<Record<"A" | "B" | "C" | "D", BootTimings & { restore?: { source: string; files: number; ok: boolean; skipped: number } }>>;
  sigtermExitMs?: number;
  /** The data-loss window of a SIGKILL: a tick written every 250 ms until the kill. */
  sigkill?: {
    ticksWritten: number;
    ticksRestored: number;
    lost: number;
    /** Time between the last restored tick and the kill (null: every tick lost). */
    lossWindowMs: number | null;
    writtenSpanMs: number;
    backupIntervalS: number;
  };
  /** Each test that ran to its end: "A", "B", "B→C", "D". */
  passed?: Record<string, true>;
}

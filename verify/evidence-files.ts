/**
 * The evidence files the integration tests and `npm run bench` write to reports/ and verify
 * reads: each file's name, shape and writer in one place. The writers import these shapes
 * (tests/integration/openclaw-reports.ts writes a file only with its shape), and
 * readEvidence takes the shape from the file, so a test and its reader cannot drift apart.
 */
import { join } from "node:path";
import { ROOT } from "../core/host.ts";
import type { Arch } from "../contract/arch.ts";
import type { BenchReport } from "./bench-results.ts";
import type { TortureReport } from "./torture-results.ts";

/** Where the tests write their evidence and verify its report. */
export const REPORTS_DIR = join(ROOT, "reports");

/** One evidence file: reports/<name>.json (and <name>.md for people), of shape T. */
export interface EvidenceFile<T> {
  readonly name: string;
  /** `<name>.json`, in reports/. */
  readonly json: string;
  /** The test file, or the command, that writes it. */
  readonly writtenBy: string;
  /** Never set: carries the shape to readEvidence and the writers (a function type, so one file's shape is not taken for another's). */
  readonly shape?: (value: T) => T;
}

function evidenceFile<T>(name: string, writtenBy: string): EvidenceFile<T> {
  return { name, json: `${name}.json`, writtenBy };
}

export const EVIDENCE_FILES = {
  toolsMatrix: evidenceFile<ToolsMatrixFile>("tools-matrix", "tests/integration/openclaw-tools.test.ts"),
  dind: evidenceFile<DindFile>("dind", "tests/integration/openclaw-dind.test.ts"),
  chat: evidenceFile<ChatFile>("chat", "tests/integration/openclaw-chat.test.ts"),
  persistence: evidenceFile<PersistenceFile>("persistence", "tests/integration/openclaw-persistence.test.ts"),
  platformFaults: evidenceFile<PlatformFaultsFile>("platform-faults", "tests/integration/platform-faults.test.ts"),
  bench: evidenceFile<BenchReport>("bench", "npm run bench"),
  torture: evidenceFile<TortureReport>("torture", "npm run torture"),
  soak: evidenceFile<SoakFile>("soak", "npm run soak"),
  aiFaults: evidenceFile<AiFaultsFile>("ai-faults", "tests/integration/ai-faults.test.ts"),
  wake: evidenceFile<WakeFile>("wake", "tests/integration/openclaw-channels.test.ts"),
  discord: evidenceFile<DiscordFile>("discord", "tests/integration/openclaw-channels.test.ts"),
  jobs: evidenceFile<JobsFile>("jobs", "tests/integration/openclaw-jobs.test.ts"),
} as const;

/** reports/<name>.json, absolute. */
export function evidencePath<T>(file: EvidenceFile<T>): string {
  return join(REPORTS_DIR, file.json);
}

/** The command that re-runs one integration test file. */
export function integrationTestCommand<T>(file: EvidenceFile<T>): string {
  return `npx vitest run --project integration ${file.writtenBy}`;
}

/**
 * reports/wake.json: OpenClaw's Telegram channel (webhooks through the Worker, which wake a sleeping
 * container) against the Telegram emulator, through the whole local stack.
 */
export interface WakeFile {
  generatedAt: string;
  source: string;
  telegram?: {
    /** How updates reached OpenClaw: by webhook through the Worker (TELEGRAM_WEBHOOK_SECRET). */
    mode: "webhook";
    /** A person on the allow-list got the model's answer in their chat. */
    allowListedAnswered?: boolean;
    /** A person not on it got nothing. */
    othersIgnored?: boolean;
    /** A message sent while the container slept: answered after this long, in this many webhook deliveries. */
    whileAsleep?: { answeredMs: number; deliveryAttempts: number };
    /** After the token was revoked and the container restarted: OpenClaw's log line, and whether the gateway kept serving. */
    revokedToken?: { logLine: string; gatewayServing: boolean };
  };
  /** Each test that ran to its end. */
  passed?: Record<string, true>;
}

/**
 * reports/jobs.json: the work that reaches OpenClaw without a person — a webhook job and scheduled
 * automations — when its container is not running, through the whole local stack. Its own file
 * (and test file) beside the channels': the two run side by side.
 */
export interface JobsFile {
  generatedAt: string;
  source: string;
  /**
   * A webhook job (OpenClaw's `POST /hooks/agent`, OPENCLAW_HOOKS_TOKEN) sent through the Worker to a
   * container that was not running: admitted after `admittedMs` (the cold start), its agent turn's model
   * request after `turnMs`, in `attempts` calls (OpenClaw can answer 502 while it still prepares, or 503 when the run did not start
   * within its 15 s admission timeout; it starts nothing then, and the caller retries); and
   * the status a wrong hook token got.
   */
  hooks?: { admittedMs: number; turnMs: number; wrongTokenStatus: number; attempts: number };
  /** An automation that came due while the container slept, run once a Cron Trigger woke it. */
  schedule?: {
    /** The job's kind as `openclaw automations add` made it. */
    job: string;
    /** It had not run by the time the trigger fired (nothing ran while asleep). */
    notRunWhileAsleep?: boolean;
    /** Trigger → the job's run, and due time → run (how late it ran). */
    triggerToRunMs?: number;
    lateByMs?: number;
    /** A one-shot agent-turn automation due at the same time: when its model request came, after the same trigger. */
    agentTurn?: { triggerToRunMs: number; lateByMs: number };
  };
  /** Each test that ran to its end. */
  passed?: Record<string, true>;
}

/**
 * reports/discord.json: OpenClaw's Discord channel (the @openclaw/discord plugin) against the
 * Discord emulator through the whole local stack. Its own file beside wake.json: each recorder
 * rewrites its file whole.
 */
export interface DiscordFile {
  generatedAt: string;
  source: string;
  /** How messages reached OpenClaw: Discord's Gateway WebSocket, which the container holds open. */
  mode: "gateway";
  /** OpenClaw identified on the emulator's Gateway (READY): the session's intents. */
  connected?: { intents: number };
  /** A person on the allow-list got the model's answer in their DM. */
  allowListedAnswered?: boolean;
  /** A person not on it got nothing. */
  othersIgnored?: boolean;
  /** A message in a guild channel configured without a mention was answered. */
  guildChannelAnswered?: boolean;
  /**
   * Messages sent while the container slept: how many, how many OpenClaw answered after the wake
   * (Discord does not replay to a new session, so none are expected), and whether the Gateway
   * session after the wake was new (IDENTIFY) or a resume of the old one.
   */
  whileAsleep?: { sent: number; answeredAfterWake: number; waitedMs: number; newSessionAfterWake: boolean; answeredOnceAwake: boolean };
  /** After the token was revoked: OpenClaw's log line, whether the Worker kept serving, and the container's starts meanwhile (no crash loop). */
  revokedToken?: { logLine: string; gatewayServing: boolean; extraStarts: number };
  /** Each test that ran to its end. */
  passed?: Record<string, true>;
}

/** reports/tools-matrix.json. */
export interface ToolsMatrixFile {
  generatedAt: string;
  instanceType: string;
  arm64: string;
  tools: {
    tool: string;
    version: string;
    /** null: not run on that architecture. */
    amd64: ToolCell | null;
    arm64: ToolCell | null;
  }[];
}
export interface ToolCell {
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

/** reports/dind.json. */
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

/** reports/chat.json, one run per architecture. */
export interface ChatFile {
  generatedAt: string;
  source: string;
  runs: Partial<Record<Arch, ChatRun>>;
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

export type PersistenceBoot = "A" | "B" | "C" | "D";
/** A boot's timings and what it restored (null: the supervisor reported no restore). */
export type PersistenceBootRecord = BootTimings & { restore?: { source: string; files: number; ok: boolean; skipped: number } | null };

/** reports/persistence.json. */
export interface PersistenceFile {
  generatedAt: string;
  source: string;
  arch?: string;
  /** Boot A (fresh), B (restored after SIGTERM), C (after SIGKILL), D (newest snapshot truncated). */
  boots?: Partial<Record<PersistenceBoot, PersistenceBootRecord>>;
  sigtermExitMs?: number;
  /** The data-loss window of a SIGKILL: a tick written every 250 ms until the kill. */
  sigkill?: {
    ticksWritten: number;
    ticksRestored: number;
    lost: number;
    /** Time between the last restored tick and the kill (null: every tick lost). */
    lossWindowMs: number | null;
    writtenSpanMs: number;
    /** The supervisor's MOLTLAB_BACKUP_MAX_WAIT in that run: the longest a change waits for its backup while writes keep coming. */
    backupMaxWaitS: number;
  };
  /** Each test that ran to its end: "A", "B", "B→C", "D". */
  passed?: Record<string, true>;
}

/** The Containers platform's faults, each shown through the Worker (tests/integration/platform-faults.test.ts). */
export const PLATFORM_FAULTS = ["oom-kill", "image-missing", "engine-restart"] as const;
export type PlatformFault = (typeof PLATFORM_FAULTS)[number];

/** One fault: what the platform recorded, what the Worker answered while it was broken, and whether it recovered. */
export interface PlatformFaultRow {
  /** The platform's own record of it: the exit event, the error code. */
  platform: string;
  /** The Worker's answer to a request while broken, and its /api/status. */
  userSaw: string;
  /** The next request (after the fix, where one is needed) was served by a fresh container. */
  recovered: boolean;
  /** Set instead of the above when the fault could not be staged here, with why. */
  notRun?: string;
}

/** reports/platform-faults.json. */
export interface PlatformFaultsFile {
  generatedAt: string;
  source: string;
  instanceType: string;
  faults: Partial<Record<PlatformFault, PlatformFaultRow>>;
}

/** One sample of a soak run (`npm run soak`): the container seen from inside, and the Worker's state. */
export interface SoakSample {
  /** ms since the run's load started. */
  t: number;
  /** The Worker's /api/admin/state: running, stopped (slept), starting… */
  status: string;
  /** Container starts and crashes the Durable Object counted so far. */
  starts: number;
  crashes: number;
  /** VmRSS of the gateway and of the supervisor, MiB (null: not running). */
  gatewayRssMiB: number | null;
  supervisorRssMiB: number | null;
  /** Bytes under the backup roots (what a backup covers), null when not running. */
  stateBytes: number | null;
  /** The supervisor's last backup (its /health), null when none yet or not running. */
  lastBackup: { at: string; durationMs: number; files: number | null; uploaded: number | null; ok: boolean } | null;
}

/** One chat turn of a soak run. */
export interface SoakTurn {
  t: number;
  /** http: POST /v1/chat/completions; ws: a new WebSocket (a reconnect) and chat.send. */
  transport: "http" | "ws";
  /**
   * The first turn of a container start (after the first boot, or the one that woke a slept
   * container: its time includes the cold start): OpenClaw loads lazily, so it is left out of the
   * latency trend.
   */
  cold: boolean;
  ok: boolean;
  ms: number;
  /** The fake model's tool call ran: its marker file exists in the container. */
  toolRan: boolean;
  error?: string;
}

/** A sleepAfter → wake cycle. */
export interface SoakWake {
  t: number;
  /** ms from the last request until the Worker reported the container stopped. */
  sleptAfterMs: number;
  /** ms of the waking turn (cold start included). */
  wakeMs: number;
  /** Every marker file the tool calls wrote before the sleep was there after the wake. */
  restored: boolean;
  markersExpected: number;
  markersFound: number;
  restoreSource: string | null;
}

/** reports/soak.json. */
export interface SoakFile {
  generatedAt: string;
  source: string;
  /** What was asked and what ran (ms). */
  requestedMs: number;
  ranMs: number;
  /** Ended early by Ctrl-C, or by an error (quoted). */
  interrupted: string | null;
  intervalMs: number;
  sleepAfter: string;
  instanceType: string;
  samples: SoakSample[];
  turns: SoakTurn[];
  wakes: SoakWake[];
  /** Container starts the Durable Object made: 1 + one per wake when nothing crashed. */
  starts: number;
  crashes: number;
  errors: string[];
}

/** One AI Gateway fault kind sent through OpenClaw behind the Worker (tests/integration/ai-faults.test.ts). */
export interface AiFaultRow {
  kind: string;
  /** The fault rule as injected. */
  fault: string;
  /** What the kind should give: a clear error, the reply, or (a known gap) no answer within its bound. */
  expected: "error" | "reply" | "no answer";
  /** What the person chatting got: status and the text, shortened. */
  userSaw: string;
  /** The answer came (error or not) within the test's bound, rather than hanging. */
  answered: boolean;
  /** The answer reads as an error, not as a reply. */
  clearError: boolean;
  ms: number;
  /** /api/status answered while the fault was active. */
  workerServed: boolean;
  /** The next chat, with the fault gone, got the scripted reply. */
  recovered: boolean;
}

/** reports/ai-faults.json. */
export interface AiFaultsFile {
  generatedAt: string;
  source: string;
  rows: AiFaultRow[];
}

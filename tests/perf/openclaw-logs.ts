/**
 * Evidence from a container's log for the cold-start notes. OpenClaw's startup "doctor"
 * installs, with npm and before the gateway starts, plugins its config or environment asks
 * for but the image lacks; where npm cannot reach the registry that costs a long wait (it
 * cost ~70 s of every cold start until the supervisor stopped passing
 * CLOUDFLARE_AI_GATEWAY_API_KEY under that name: see AI_GATEWAY_KEY_ALIAS). The log says
 * which plugin, why it failed, and (from npm's debug-log name and Docker's timestamps) how
 * long npm took, so a new such wait shows up in the bench's notes.
 */
import { tryRun } from "../../core/exec.ts";

export interface PluginInstallAttempt {
  plugin: string;
  /** npm's error code, e.g. SELF_SIGNED_CERT_IN_CHAIN or ENOTFOUND; null if not found. */
  reason: string | null;
  /** From npm starting (its debug-log name) to the doctor reporting the failure; null if not derivable. */
  seconds: number | null;
}

/** `docker logs --timestamps` of a container ("" if it is gone). */
export async function containerLog(id: string): Promise<string> {
  const result = await tryRun("docker", ["logs", "--timestamps", id]);
  return result.code === 0 ? result.stdout + result.stderr : "";
}

/** The failed plugin install the log shows, if any. Lines may be raw or JSON-wrapped by the supervisor. */
export function failedPluginInstall(log: string): PluginInstallAttempt | null {
  const lines = log.split("\n");
  const index = lines.findIndex((line) => line.includes("Failed to install missing configured plugin"));
  if (index === -1) return null;
  const plugin = /missing configured plugin \\?"([^"\\]+)\\?"/.exec(lines[index]!)?.[1] ?? "unknown";
  const window = lines.slice(index, index + 12).join("\n");
  const reason = /npm error code (\w+)/.exec(window)?.[1] ?? /npm error errno (\w+)/.exec(window)?.[1] ?? null;
  const reported = Date.parse(/^(\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(lines[index]!)?.[1] ?? "");
  // npm names its debug log after the moment it started: …/_logs/2026-11-25T22_37_35_133Z-debug-0.log
  const npmLog = /_logs\/(\d{4}-\d\d-\d\d)T(\d\d)_(\d\d)_(\d\d)_(\d{3})Z-debug/.exec(window);
  const npmStarted = npmLog ? Date.parse(`${npmLog[1]}T${npmLog[2]}:${npmLog[3]}:${npmLog[4]}.${npmLog[5]}Z`) : NaN;
  const seconds = Number.isFinite(reported) && Number.isFinite(npmStarted) ? Math.round((reported - npmStarted) / 100) / 10 : null;
  return { plugin, reason, seconds };
}

/**
 * Why a cold start died, from the supervisor's log (it logs the gateway's exit as JSON with its
 * code and signal) and Docker's OOM flag: "the gateway was killed by the out-of-memory killer".
 */
export function gatewayDeath(log: string, oomKilled: boolean): string | null {
  const lines = log.split("\n");
  const index = lines.findIndex((text) => text.includes("the gateway exited unexpectedly"));
  if (index === -1) return oomKilled ? "the container hit its memory limit (Docker: OOMKilled)" : null;
  const line = lines[index]!;
  const signal = /"signal":"(\w+)"/.exec(line)?.[1];
  const code = /"code":(-?\d+)/.exec(line)?.[1];
  const how = signal ? `with ${signal}` : `with exit code ${code ?? "?"}`;
  if (oomKilled || signal === "SIGKILL") {
    return `the OpenClaw gateway was killed ${how}${oomKilled ? " by the out-of-memory killer (Docker: OOMKilled): the instance type's memory is too small" : " (the kernel's out-of-memory killer, most likely: see dmesg)"}`;
  }
  const said = lastGatewayError(lines.slice(0, index));
  return `the OpenClaw gateway exited ${how}${said ? `, saying: ${said}` : ""}`;
}

/** The longest a quoted gateway error gets in a figure's note. */
const QUOTE_LIMIT = 400;

/** One line the gateway printed, as the supervisor logs it: JSON with phase "gateway" and the original text in msg. */
interface GatewayLine {
  level?: string;
  msg: string;
}

/** The gateway's own lines among a container's log lines (Docker's timestamp, then the supervisor's JSON). */
function gatewayLines(lines: readonly string[]): GatewayLine[] {
  return lines.flatMap((line) => {
    const json = line.slice(line.indexOf("{"));
    try {
      const entry = JSON.parse(json) as { phase?: string; level?: string; msg?: unknown };
      return entry.phase === "gateway" && typeof entry.msg === "string" ? [{ level: entry.level, msg: entry.msg }] : [];
    } catch {
      return [];
    }
  });
}

/**
 * The gateway's own last words before it exited: its "Gateway failed to start" line if it
 * printed one, else its last error (the supervisor wraps each gateway line as JSON with
 * phase "gateway" and the original text in msg).
 */
export function lastGatewayError(lines: readonly string[]): string | null {
  const messages = gatewayLines(lines);
  const failedAt = messages.findLastIndex((entry) => entry.msg.includes("Gateway failed to start"));
  const lastAt = failedAt !== -1 ? failedAt : messages.findLastIndex((entry) => entry.level === "error" || /\berror\b/i.test(entry.msg));
  if (lastAt === -1) return null;
  // A multi-line message arrives a line at a time: its "- cause" lines follow it.
  const causes: string[] = [];
  for (const entry of messages.slice(lastAt + 1)) {
    if (!entry.msg.startsWith("- ")) break;
    causes.push(entry.msg);
  }
  const text = [messages[lastAt]!.msg.replace(/^\d{4}-\d\d-\d\dT\S+ /, ""), ...causes].join(" ");
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}

export function describeAttempts(where: string, attempts: readonly (PluginInstallAttempt | null)[]): string | null {
  const found = attempts.filter((attempt): attempt is PluginInstallAttempt => attempt !== null);
  if (!found.length) return null;
  const plugins = [...new Set(found.map((attempt) => attempt.plugin))].join(", ");
  const reasons = [...new Set(found.map((attempt) => attempt.reason ?? "unknown error"))].join(", ");
  const seconds = found.map((attempt) => attempt.seconds).filter((value): value is number => value !== null);
  return (
    `${where}: in ${found.length} of ${attempts.length} runs OpenClaw's startup tried to install the plugin "${plugins}" with npm before starting the gateway and failed (${reasons})` +
    (seconds.length ? `; npm took ${seconds.join(", ")} s per run (from its debug-log name to the doctor's report).` : ".")
  );
}

/** One of OpenClaw's embedded-run stage summaries: where an agent turn spent its time before the model call. */
export interface RunStages {
  runId: string;
  /** OpenClaw's name for the point the summary was taken, e.g. "stream-ready". */
  phase: string;
  totalMs: number;
  /** In OpenClaw's order: `name:12ms@34ms` → { name, ms: 12 } (the `@` offset is the running total). */
  stages: { name: string; ms: number }[];
}

/**
 * OpenClaw's `[trace:embedded-run] prep stages: runId=… phase=… totalMs=N stages=a:1ms@1ms,…` lines,
 * in log order, from the gateway's lines as the supervisor wraps them. OpenClaw (2026.9) prints them as warnings only when a turn's preparation took 10 s
 * or one stage 5 s (otherwise at trace level), so a cold first turn has one and a warm turn none.
 */
export function embeddedRunStages(log: string): RunStages[] {
  const found: RunStages[] = [];
  for (const { msg } of gatewayLines(log.split("\n"))) {
    const match = /\[trace:embedded-run\] [\w ]*stages: runId=(\S+) .*?phase=(\S+) .*?totalMs=(\d+) stages=(\S+)/.exec(msg);
    if (!match) continue;
    const stages = match[4]!.split(",").flatMap((part) => {
      const stage = /^([\w.-]+):(\d+)ms@\d+ms$/.exec(part);
      return stage ? [{ name: stage[1]!, ms: Number(stage[2]) }] : [];
    });
    found.push({ runId: match[1]!, phase: match[2]!, totalMs: Number(match[3]), stages });
  }
  return found;
}

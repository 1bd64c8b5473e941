import { describe, expect, it } from "vitest";
import { embeddedRunStages, gatewayDeath } from "./openclaw-logs.ts";

const at = "2026-12-06T06:03:02.083117099Z";
const gateway = (msg: string, level = "info", stream = "stdout") => `${at} ${JSON.stringify({ time: at, level, phase: "gateway", msg, stream })}`;
const exited = (code: number) =>
  `${at} {"time":"${at}","level":"error","phase":"gateway","msg":"the gateway exited unexpectedly","code":${code},"signal":null}`;

describe("why a cold start died, from the container's log", () => {
  it("quotes the gateway's own refusal, without its timestamp", () => {
    const log = [
      gateway("2026-12-06T06:03:01.000+00:00 [gateway] listening"),
      gateway("2026-12-06T06:03:02.021+00:00 Gateway failed to start: startup maintenance required (state migration)", "error", "stderr"),
      gateway("- sessions: database is locked", "error", "stderr"),
      gateway("2026-12-06T06:03:02.030+00:00 [plugins] shutting down", "error", "stderr"),
      exited(78),
    ].join("\n");
    expect(gatewayDeath(log, false)).toBe(
      "the OpenClaw gateway exited with exit code 78, saying: Gateway failed to start: startup maintenance required (state migration) - sessions: database is locked",
    );
  });

  it("falls back to the gateway's last error, and to the bare exit when it said nothing", () => {
    const withError = [gateway("2026-12-06T06:03:02.021+00:00 [db] error: disk I/O error", "warn", "stderr"), gateway("fine"), exited(1)].join("\n");
    const untimed = [gateway("Gateway failed to start: no port", "error", "stderr"), exited(1)].join("\n");
    expect(gatewayDeath(untimed, false)).toBe("the OpenClaw gateway exited with exit code 1, saying: Gateway failed to start: no port");
    expect(gatewayDeath(withError, false)).toBe("the OpenClaw gateway exited with exit code 1, saying: [db] error: disk I/O error");
    expect(gatewayDeath([gateway("fine"), exited(1)].join("\n"), false)).toBe("the OpenClaw gateway exited with exit code 1");
  });

  it("names the OOM killer rather than quoting the gateway", () => {
    expect(gatewayDeath([gateway("x", "error"), exited(137)].join("\n").replace('"signal":null', '"signal":"SIGKILL"'), true)).toMatch(
      /out-of-memory killer \(Docker: OOMKilled\)/,
    );
    expect(gatewayDeath("nothing useful", true)).toBe("the container hit its memory limit (Docker: OOMKilled)");
  });
});

describe("where a turn's preparation went, from OpenClaw's stage summary", () => {
  const summary =
    "2026-12-06T13:57:24.784+00:00 [agent/embedded] [trace:embedded-run] prep stages: runId=chatcmpl_589b sessionId=5a31 phase=stream-ready pid=20 threadId=0 isMainThread=true totalMs=23623 stages=workspace-sandbox:10ms@10ms,system-prompt:14785ms@14795ms,agent-session:4307ms@19102ms";

  it("reads each stage in order, from the supervisor's JSON-wrapped line", () => {
    const log = [gateway("2026-12-06T13:57:20.983+00:00 [memory] index not updated"), gateway(summary, "warn", "stderr")].join("\n");
    expect(embeddedRunStages(log)).toEqual([
      {
        runId: "chatcmpl_589b",
        phase: "stream-ready",
        totalMs: 23623,
        stages: [
          { name: "workspace-sandbox", ms: 10 },
          { name: "system-prompt", ms: 14785 },
          { name: "agent-session", ms: 4307 },
        ],
      },
    ]);
  });

  it("finds nothing in a log without a summary", () => {
    expect(embeddedRunStages([gateway("fine"), exited(0)].join("\n"))).toEqual([]);
  });
});

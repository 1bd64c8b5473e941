import { describe, expect, it } from "vitest";
import { formatMachineLoad, startOf, parseCgroupCpu, parseProcStat } from "./machine-load.ts";

/** The caller's predicate (cli/ passes contract's isOpenclawImage, tested there): core imports nothing above it. */
const isOpenclawImage = (image: string) => image.startsWith("moltlab/openclaw:");

// The first lines of /proc/stat on a 2-core machine (ticks of 1/100 s).
const PROC_STAT = `cpu  2801137 3922 806099 5366009 28681 0 15585 641 0 0
cpu0 1363696 1889 380294 2753754 5952 0 3215 312 0 0
cpu1 1437441 2033 425805 2612255 22729 0 12370 329 0 0
intr 1 2 3
`;

// A container start as `docker events --format '{{json .}}'` gives it (Docker 20.10; labels trimmed).
const START =
  '{"status":"start","id":"6fa1748e5974","from":"moltlab/openclaw:2026.9.6-amd64","Type":"container","Action":"start",' +
  '"Actor":{"ID":"6fa1748e5974","Attributes":{"image":"moltlab/openclaw:2026.9.6-amd64","moltlab.managed":"true","name":"lucid_khorana"}},' +
  '"scope":"local","time":1796679980,"timeNano":1796679980542632583}';

describe("machine load", () => {
  it("reads busy and total CPU seconds from /proc/stat's aggregate line: idle and iowait are not busy", () => {
    const cpu = parseProcStat(PROC_STAT)!;
    expect(cpu.busy).toBeCloseTo((2801137 + 3922 + 806099 + 0 + 15585 + 641) / 100, 6);
    expect(cpu.total).toBeCloseTo(cpu.busy + (5366009 + 28681) / 100, 6);
    expect(parseProcStat("intr 1 2 3\n")).toBeUndefined();
    expect(parseProcStat("cpu  a b c d\n")).toBeUndefined();
  });

  it("reads the containers' CPU seconds from cgroup v1's cpuacct.usage (ns) and v2's cpu.stat (µs)", () => {
    expect(parseCgroupCpu("cpuacct.usage", "21812395925964\n")).toBeCloseTo(21812.395925964, 6);
    expect(parseCgroupCpu("cpu.stat", "usage_usec 5000000\nuser_usec 4000000\nsystem_usec 1000000\n")).toBe(5);
    expect(parseCgroupCpu("cpuacct.usage", "")).toBeUndefined();
    expect(parseCgroupCpu("cpu.stat", "user_usec 4000000\n")).toBeUndefined();
  });

  it("takes the image from the engine's start event, and nothing from a line that is not one", () => {
    expect(startOf(START)?.image).toBe("moltlab/openclaw:2026.9.6-amd64");
    // The same event sent again (after the engine restarted) has the same key; another start does not.
    expect(startOf(START)!.key).toBe(startOf(START)!.key);
    expect(startOf(START.replace('"timeNano":1796679980542632583', '"timeNano":1796679990000000000'))!.key).not.toBe(startOf(START)!.key);
    expect(startOf("Error response from daemon: …")).toBeUndefined();
    expect(startOf(JSON.stringify({ Actor: {} }))).toBeUndefined();
  });

  it("says how busy the machine was, how much of it in containers, and how many OpenClaw containers started", () => {
    const starts = ["moltlab/openclaw:2026.9.6-amd64", "moltlab-tools/rclone:amd64", "moltlab/openclaw:2026.9.6-amd64"];
    expect(formatMachineLoad({ seconds: 488, cores: 2, host: { busy: 821.4, total: 976 }, containers: 597, starts }, isOpenclawImage)).toBe(
      "machine: 821 of 976 CPU-seconds busy (84 %, 2 cores), 597 of them in containers; 3 containers started, 2 of them OpenClaw",
    );
    // Another OS, a remote engine or the systemd cgroup driver: only what was measured.
    expect(formatMachineLoad({ seconds: 80, cores: 2, host: { busy: 150, total: 160 } }, isOpenclawImage)).toBe(
      "machine: 150 of 160 CPU-seconds busy (94 %, 2 cores)",
    );
    expect(formatMachineLoad({ seconds: 80, cores: 2, containers: 12, starts: ["moltlab/openclaw:2026.9.6-amd64"] }, isOpenclawImage)).toBe(
      "machine: 12 CPU-seconds in containers; 1 container started, 1 of them OpenClaw",
    );
    expect(formatMachineLoad({ seconds: 80, cores: 2, starts: [] }, isOpenclawImage)).toBeUndefined();
    // A project that ran no container (the node project): nothing about containers.
    expect(formatMachineLoad({ seconds: 80, cores: 2, host: { busy: 150, total: 160 }, containers: 0.2 }, isOpenclawImage)).toBe(
      "machine: 150 of 160 CPU-seconds busy (94 %, 2 cores)",
    );
  });
});

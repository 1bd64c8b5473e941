import { describe, expect, it } from "vitest";
import { belongsToLiveRun, compareApiVersions, engineHost, parseServer } from "./docker.ts";
import { LABEL_RUN, moltlabLabels, RUN_PID_ENV, testRun } from "./labels.ts";

describe("docker helpers", () => {
  it("compares API versions numerically, not as strings", () => {
    expect(compareApiVersions("1.41", "1.41")).toBe(0);
    expect(compareApiVersions("1.40", "1.41")).toBe(-1);
    expect(compareApiVersions("1.100", "1.41")).toBe(1);
    expect(compareApiVersions("2", "1.99")).toBe(1);
  });

  it("reads the server block of `docker version`", () => {
    const json = JSON.stringify({ Version: "20.10.24+dfsg1", ApiVersion: "1.41", Os: "linux", Arch: "amd64", MinAPIVersion: "1.12" });
    expect(parseServer(json)).toEqual({ version: "20.10.24+dfsg1", apiVersion: "1.41", os: "linux", arch: "amd64" });
  });

  it("treats a missing server block as no engine", () => {
    expect(parseServer("null")).toBeUndefined();
    expect(parseServer("")).toBeUndefined();
    expect(parseServer("{}")).toBeUndefined();
  });

  it("defaults to the local socket", () => {
    expect(engineHost({})).toBe("unix:///var/run/docker.sock");
    expect(engineHost({ DOCKER_HOST: "tcp://10.0.0.2:2376" })).toBe("tcp://10.0.0.2:2376");
  });
});

describe("the test sweep's owner check", () => {
  const alive = new Set([4242]);
  const isAlive = (pid: number) => alive.has(pid);

  it("spares only another run on this host whose process still lives", () => {
    expect(belongsToLiveRun("box:4242", "box:100", isAlive)).toBe(true);
    expect(belongsToLiveRun("box:5151", "box:100", isAlive)).toBe(false);
    expect(belongsToLiveRun("box:100", "box:100", isAlive)).toBe(false);
    expect(belongsToLiveRun("", "box:100", isAlive)).toBe(false);
    expect(belongsToLiveRun("garbage", "box:100", isAlive)).toBe(false);
    // Another machine on a shared engine: its processes cannot be seen from here, so its objects stay.
    expect(belongsToLiveRun("other:5151", "box:100", isAlive)).toBe(true);
  });

  it("labels test objects with the run, taken from the runner's pid when set", () => {
    expect(testRun({ [RUN_PID_ENV]: "777" })).toMatch(/:777$/);
    expect(moltlabLabels("test")).toHaveProperty(LABEL_RUN);
    expect(moltlabLabels("image")).not.toHaveProperty(LABEL_RUN);
  });
});

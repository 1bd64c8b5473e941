import { describe, expect, it } from "vitest";
import { compareApiVersions, engineHost, parseServer } from "./docker.ts";

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

import { describe, expect, it } from "vitest";
import { PlatformError } from "../client/errors.ts";
import { DEFAULT_PORT_READY_TIMEOUT_MS, DEFAULT_STOP_TIMEOUT_MS, validateSignal, validateSpec, validateStopOptions } from "./spec.ts";

function failure(run: () => unknown): PlatformError {
  try {
    run();
  } catch (error) {
    if (error instanceof PlatformError) return error;
    throw error;
  }
  throw new Error("expected a PlatformError");
}

describe("container spec validation", () => {
  it("fills in Cloudflare's defaults: standard-1, linux/amd64, wait for ports", () => {
    expect(validateSpec({ image: "moltlab/openclaw:1-amd64", ports: [18789] })).toEqual({
      image: "moltlab/openclaw:1-amd64",
      env: {},
      instanceType: "standard-1",
      platform: "linux/amd64",
      network: "bridge",
      ports: [18789],
      labels: {},
      waitForPorts: true,
      portReadyTimeoutMs: DEFAULT_PORT_READY_TIMEOUT_MS,
    });
  });

  it("keeps what was given", () => {
    const spec = {
      image: "i",
      env: { A_1: "x y" },
      entrypoint: ["sh"],
      cmd: ["-c", "true"],
      instanceType: "lite",
      platform: "linux/arm64",
      network: "host",
      ports: [],
      labels: { team: "x" },
      waitForPorts: false,
      portReadyTimeoutMs: 5,
    };
    expect(validateSpec(spec)).toEqual(spec);
  });

  it("rejects an unknown instance type with the list of Cloudflare's", () => {
    const error = failure(() => validateSpec({ image: "i", ports: [], instanceType: "standard-5" }));
    expect(error).toMatchObject({ code: "unknown_instance_type", status: 400 });
    expect(error.message).toContain('unknown instance type "standard-5"; use one of lite (1/16 vCPU, 256 MiB, 2 GB disk)');
  });

  it.each([
    [{ image: "i", ports: [], instance_type: "lite" }, "unknown field instance_type"],
    [{ ports: [] }, "image must be a non-empty image reference"],
    [{ image: "i" }, "ports must be an array"],
    [{ image: "i", ports: [0] }, "port 0 is not an integer from 1 to 65535"],
    [{ image: "i", ports: [80, 80] }, "ports must not repeat"],
    [{ image: "i", ports: [], env: { "BAD-NAME": "x" } }, 'env name "BAD-NAME" is not a valid variable name'],
    [{ image: "i", ports: [], env: { A: 1 } }, "env.A must be a string"],
    [{ image: "i", ports: [], labels: { "moltlab.kind": "x" } }, "labels moltlab.kind are reserved"],
    [{ image: "i", ports: [], platform: "linux/s390x" }, "platform must be one of linux/amd64, linux/arm64"],
    [{ image: "i", ports: [], cmd: "node app.js" }, "cmd must be an array of strings"],
    [{ image: "i", ports: [], portReadyTimeoutMs: 16 * 60_000 }, "portReadyTimeoutMs must be an integer number of milliseconds from 0 to 900000"],
    [[], "the spec must be a JSON object"],
  ])("rejects %j: %s", (spec, message) => {
    const error = failure(() => validateSpec(spec));
    expect(error).toMatchObject({ code: "invalid_spec", status: 400 });
    expect(error.message).toContain(message);
    expect(error.message).toContain("fix the request body (fields: image, env,");
  });
});

describe("signals and stop options", () => {
  it("accept known signal names only", () => {
    expect(validateSignal("SIGUSR1")).toBe("SIGUSR1");
    expect(failure(() => validateSignal("SIGTREM"))).toMatchObject({
      code: "invalid_signal",
      message: expect.stringContaining("is not one of SIGHUP, SIGINT"),
    });
    expect(failure(() => validateSignal(15)).code).toBe("invalid_signal");
  });

  it("default to SIGTERM with a 30 s bound, and reject unknown fields", () => {
    expect(validateStopOptions(undefined)).toEqual({ signal: "SIGTERM", timeoutMs: DEFAULT_STOP_TIMEOUT_MS });
    expect(validateStopOptions({ signal: "SIGINT", timeoutMs: 0 })).toEqual({ signal: "SIGINT", timeoutMs: 0 });
    expect(failure(() => validateStopOptions({ timeout: 5 })).message).toContain("unknown field timeout; fix the request body (fields: signal, timeoutMs)");
    expect(failure(() => validateStopOptions({ timeoutMs: -1 })).code).toBe("invalid_spec");
  });
});

/**
 * The options and context verify's tests judge with: `moltlab verify` with no arguments,
 * spelled out value by value (options.test.ts asserts the parser gives exactly these), and
 * each test overriding only what it is about.
 */
import { ROOT } from "../../core/host.ts";
import { DEFAULT_LITELLM_CONFIG } from "../options.ts";
import type { VerifyContext, VerifyOptions } from "../types.ts";

/** What `moltlab verify` runs with when given no arguments, with `overrides` on top. */
export function verifyOptions(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    arches: ["amd64", "arm64"],
    instanceType: "standard-1",
    budget: 50,
    activeHours: 24,
    sleepAfterMinutes: 10,
    cpuUtilisation: 0.1,
    dockerfile: null,
    litellm: DEFAULT_LITELLM_CONFIG,
    moltworker: null,
    secrets: null,
    openclawConfig: null,
    terraform: null,
    terraformProvider: null,
    reuse: false,
    ...overrides,
  };
}

/**
 * A context reading evidence from `reportsDir` for amd64 only, reusing what is there; the run
 * started a minute ago, so evidence written by the test itself counts as "this run".
 */
export function verifyContext(reportsDir: string, options: Partial<VerifyOptions> = {}, runStartedAt = new Date(Date.now() - 60_000)): VerifyContext {
  return { options: verifyOptions({ arches: ["amd64"], reuse: true, ...options }), root: ROOT, reportsDir, runStartedAt, progress: () => {} };
}

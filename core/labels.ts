import { hostname } from "node:os";

/**
 * Docker labels on everything moltlab creates. Cleanup finds leftovers by these
 * labels alone, so a crashed run never leaves something the next run trips over.
 */
export const LABEL_MANAGED = "moltlab.managed";
export const LABEL_KIND = "moltlab.kind";
export const LABEL_RECIPE = "moltlab.recipe";
export const LABEL_SOURCE = "moltlab.source";
/** On test objects: the run that made them (see testRun). */
export const LABEL_RUN = "moltlab.run";
/** The test runner's pid, set by the integration setup for the workers it starts. */
export const RUN_PID_ENV = "MOLTLAB_RUN_PID";

/**
 * base-image: built or pulled by setup; tool: a helper image tests reuse across runs
 * (rclone, …), rebuilt only when missing; test: made by a test run and swept after it;
 * sandbox: the dev sandbox; setup: setup's own short-lived check containers.
 */
export type Kind = "base-image" | "image" | "tool" | "test" | "sandbox" | "setup";

export function moltlabLabels(kind: Kind, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_MANAGED]: "true", [LABEL_KIND]: kind, ...(kind === "test" ? { [LABEL_RUN]: testRun() } : {}), ...extra };
}

/** Labels as `docker run`/`docker build` flags: `--label key=value` for each. */
export function labelFlags(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([key, value]) => ["--label", `${key}=${value}`]);
}

/**
 * "<host>:<pid>" of the test run (its runner process, whose workers inherit RUN_PID_ENV): a
 * run's sweep leaves the objects of another run that is still alive, as the Containers
 * platform does with its sandboxes (core/leftovers.ts).
 */
export function testRun(env: NodeJS.ProcessEnv = process.env): string {
  return `${hostname()}:${env[RUN_PID_ENV] ?? process.pid}`;
}

/** `docker … --filter` value selecting moltlab's objects, optionally of one kind. */
export function labelFilter(kind?: Kind): string {
  return kind ? `label=${LABEL_KIND}=${kind}` : `label=${LABEL_MANAGED}=true`;
}

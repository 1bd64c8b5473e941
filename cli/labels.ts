/**
 * Docker labels on everything moltlab creates. Cleanup finds leftovers by these
 * labels alone, so a crashed run never leaves something the next run trips over.
 */
export const LABEL_MANAGED = "moltlab.managed";
export const LABEL_KIND = "moltlab.kind";
export const LABEL_RECIPE = "moltlab.recipe";
export const LABEL_SOURCE = "moltlab.source";

/**
 * base-image: built or pulled by setup; tool: a helper image tests reuse across runs
 * (rclone, …), rebuilt only when missing; test: made by a test run and swept after it;
 * sandbox: the dev sandbox; setup: setup's own short-lived check containers.
 */
export type Kind = "base-image" | "image" | "tool" | "test" | "sandbox" | "setup";

export function moltlabLabels(kind: Kind, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_MANAGED]: "true", [LABEL_KIND]: kind, ...extra };
}

/** `docker … --filter` value selecting moltlab's objects, optionally of one kind. */
export function labelFilter(kind?: Kind): string {
  return kind ? `label=${LABEL_KIND}=${kind}` : `label=${LABEL_MANAGED}=true`;
}

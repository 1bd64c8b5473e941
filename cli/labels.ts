/**
 * Docker labels on everything moltlab creates. Cleanup finds leftovers by these
 * labels alone, so a crashed run never leaves something the next run trips over.
 */
export const LABEL_MANAGED = "moltlab.managed";
export const LABEL_KIND = "moltlab.kind";
export const LABEL_RECIPE = "moltlab.recipe";
export const LABEL_SOURCE = "moltlab.source";

/** base-image: built or pulled by setup; test: made by a test run; sandbox: the dev sandbox. */
export type Kind = "base-image" | "test" | "sandbox" | "setup";

export function moltlabLabels(kind: Kind, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_MANAGED]: "true", [LABEL_KIND]: kind, ...extra };
}

/** `docker … --filter` value selecting moltlab's objects, optionally of one kind. */
export function labelFilter(kind?: Kind): string {
  return kind ? `label=${LABEL_KIND}=${kind}` : `label=${LABEL_MANAGED}=true`;
}

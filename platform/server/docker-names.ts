/**
 * Container names: the platform's (the `:name` of the API) and Docker's, which carry a
 * prefix per platform so the sandboxes of separate platforms (compose projects) never clash.
 */
import { PlatformError } from "../client/errors.ts";

export const NAME_PREFIX = "moltlab-sandbox-";

/** Docker names allow [a-zA-Z0-9][a-zA-Z0-9_.-]; so do ours, which keeps URLs and labels simple. At most 63: a DNS label (the alias on a named network). */
const DOCKER_SAFE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export function isContainerName(name: string): boolean {
  return DOCKER_SAFE_NAME.test(name);
}

/** Docker's rule for a name prefix: the name must still start with a letter or digit. */
export function isNamePrefix(prefix: string): boolean {
  return DOCKER_SAFE_NAME.test(prefix);
}

/** The Docker name of a container; `prefix` keeps the names of separate platforms (compose projects) apart. */
export function dockerName(name: string, prefix: string = NAME_PREFIX): string {
  return `${prefix}${name}`;
}

export function checkContainerName(name: string): void {
  if (!isContainerName(name)) {
    throw new PlatformError("invalid_spec", `container name "${name}" must be 1–63 characters of letters, digits, _ . - (not starting with _ . -); rename it`);
  }
}

export function checkNamePrefix(prefix: string): void {
  if (!isNamePrefix(prefix)) {
    throw new PlatformError(
      "invalid_spec",
      `container name prefix "${prefix}" must be letters, digits, _ . - (starting with a letter or digit, at most 63); change it`,
    );
  }
}

/**
 * The supervisor's control API (on CONTROL_PORT): what the Worker's admin routes, the tests
 * and the supervisor itself name. Every route needs `Authorization: Bearer <gateway token>`.
 */
export const CONTROL_PATHS = {
  /** GET: status, gateway, boot phases, last restore and backup. */
  health: "/health",
  /** POST: a backup covering every write made before the call. */
  backup: "/backup",
  /** GET: `openclaw devices list --json`. */
  devices: "/devices",
  /** GET: the image's tool probe results. */
  tools: "/tools",
} as const;

/** POST: `openclaw devices approve <id>`. */
export function approvePath(requestId: string): string {
  return `${CONTROL_PATHS.devices}/${encodeURIComponent(requestId)}/approve`;
}

/** The approve route's pattern, for the server side: the id is group 1, still URL-encoded. */
export const APPROVE_PATH = /^\/devices\/([^/]+)\/approve$/;

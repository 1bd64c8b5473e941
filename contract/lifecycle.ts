/**
 * How long a container gets between SIGTERM and SIGKILL: the supervisor stops the gateway
 * (MOLTLAB_STOP_TIMEOUT, 30 s) and then takes its final backup (MOLTLAB_FINAL_BACKUP_TIMEOUT,
 * 25 s), so 60 s covers both. The Worker's Sandbox, `npm run dev` and compose all use it.
 */
export const STOP_TIMEOUT_MS = 60_000;

/**
 * Errors of the Containers platform, on both sides of the HTTP API: the platform throws
 * them, the API sends them as `{ error: { code, message } }`, HttpPlatformContainer rethrows
 * them. Every message ends with the fix. No Node imports (the Worker bundles this file).
 */

export const ERROR_STATUS = {
  invalid_spec: 400,
  unknown_instance_type: 400,
  invalid_signal: 400,
  unauthorized: 401,
  not_found: 404,
  not_running: 409,
  name_in_use: 409,
  stopped_during_start: 409,
  image_missing: 422,
  image_platform_mismatch: 422,
  network_missing: 422,
  container_exited: 502,
  engine_unreachable: 503,
  platform_unreachable: 503,
  port_timeout: 504,
  internal: 500,
} as const;

export type PlatformErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: string; message: string };
}

export class PlatformError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: PlatformErrorCode | string, message: string, status?: number) {
    super(message);
    this.name = "PlatformError";
    this.code = code;
    this.status = status ?? (ERROR_STATUS as Record<string, number>)[code] ?? 500;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

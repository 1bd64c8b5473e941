import type { Rejection } from "./formats/format.ts";

/**
 * Errors raised by AI Gateway itself (not by a provider behind it). Shape as observed from the
 * real service: Cloudflare's v4 envelope plus `name: "AiGatewayError"` and the internal code.
 * Known codes: 2009 unauthorized (authenticated gateway, missing or wrong cf-aig-authorization),
 * 2008 invalid provider (unknown provider segment, or a compat model without `provider/`).
 */
export function aiGatewayError(status: number, code: number, message: string): Rejection {
  return {
    status,
    body: {
      success: false,
      result: [],
      messages: [],
      error: [{ code, message }],
      name: "AiGatewayError",
      httpCode: status,
      internalCode: code,
      message,
      description: message,
    },
  };
}

export const gatewayUnauthorized = (): Rejection => aiGatewayError(401, 2009, "Unauthorized");
export const invalidProvider = (): Rejection => aiGatewayError(400, 2008, "Invalid provider");

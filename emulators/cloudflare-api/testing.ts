/** Shared by this folder's tests: the official SDK pointed at an emulator, and its errors read. */
import Cloudflare from "cloudflare";
import { expect } from "vitest";
import type { StartedCloudflareApi } from "./index.ts";

/** No retries (the SDK retries 409 and 5xx by default) and no credentials from the environment. */
export function sdkFor(cf: StartedCloudflareApi, token = cf.token): Cloudflare {
  return new Cloudflare({ apiToken: token, apiKey: null, apiEmail: null, userServiceKey: null, baseURL: cf.baseUrl, maxRetries: 0 });
}

export interface Refusal {
  status: number | undefined;
  codes: number[];
  message: string | undefined;
}

/** The SDK's APIError for a call that must fail: its status, every error code, the first message. */
export async function refusal(call: Promise<unknown>): Promise<Refusal> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, "the call succeeded but should have been refused").toBeInstanceOf(Cloudflare.APIError);
  const apiError = error as InstanceType<typeof Cloudflare.APIError>;
  return { status: apiError.status, codes: apiError.errors.map((item) => Number(item.code)), message: apiError.errors[0]?.message };
}

/**
 * What the end-to-end tests do through the Worker: sign in on the Access emulator's login page
 * as a browser's form does, and wait for the sandbox behind it to run.
 */
import { COOKIE_NAME } from "../../contract/access.ts";
import { PollAborted, waitFor } from "./wait.ts";

export interface AccessLogin {
  /** 302 when the login took. */
  status: number;
  /** Where the login sends the browser back to (its `redirect_url`). */
  location: string | null;
  /** The `CF_Authorization=<token>` pair the login set, to send as a cookie. */
  cookie: string | undefined;
}

/** POSTs the login form (`email`, `redirect_url`) to `loginUrl` without following the redirect. */
export async function postAccessLogin(loginUrl: string, email: string, redirectUrl: string): Promise<AccessLogin> {
  const body = new URLSearchParams({ email, redirect_url: redirectUrl });
  const response = await fetch(loginUrl, { method: "POST", body, redirect: "manual" });
  const cookie = new RegExp(`${COOKIE_NAME}=[^;]+`).exec(response.headers.get("set-cookie") ?? "")?.[0];
  return { status: response.status, location: response.headers.get("location"), cookie };
}

/** The Worker's /api/status, as far as waiting for the sandbox reads it. */
export interface SandboxStatus {
  status: string;
  container: { status: string; lastError: string | null };
}

/**
 * Polls `status` (the Worker's /api/status) until the sandbox runs, and returns that status.
 * A container error reported other than while starting is quoted if the time runs out, and so is
 * the last status read.
 */
export async function waitForSandboxRunning<S extends SandboxStatus>(status: () => Promise<S>, timeoutMs: number, everyMs?: number): Promise<S> {
  let last: S | undefined;
  try {
    return await waitFor(
      "the sandbox running (/api/status)",
      async () => {
        const current = await status();
        last = current;
        if (current.container.lastError && current.container.status !== "starting") throw new Error(current.container.lastError);
        return current.status === "running" ? current : undefined;
      },
      timeoutMs,
      everyMs,
    );
  } catch (error) {
    // Where it stood when the time ran out (a slow boot and a stuck one read differently).
    if (error instanceof PollAborted || last === undefined) throw error;
    throw new Error(`${(error as Error).message}; the last /api/status said ${JSON.stringify(last)}`);
  }
}

/**
 * The account and its token as tools see them first: `wrangler whoami` and Terraform's provider
 * verify the token (/user/tokens/verify, or /accounts/{id}/tokens/verify for account-owned tokens)
 * and look the account up.
 */
import type { Hono } from "hono";
import type { ApiContext } from "./context.ts";
import { success } from "./envelope.ts";
import { pageOf } from "./paging.ts";
import type { CloudflareState } from "./state.ts";

const account = (state: Readonly<CloudflareState>) => ({
  id: state.accountId,
  name: state.accountName,
  type: "standard",
  settings: { enforce_twofactor: false, api_access_enabled: null, access_approval_expiry: null, abuse_contact_email: null },
  created_on: "2026-01-01T00:00:00.000000Z",
});

export function accountRoutes(app: Hono, { store }: ApiContext): void {
  const verified = () =>
    success({ id: store.state.tokenId, status: "active" }, undefined, [{ code: 10000, message: "This API Token is valid and active", type: null }]);
  app.get("/user/tokens/verify", verified);
  app.get("/accounts/:account_id/tokens/verify", verified);
  app.get("/accounts", (c) => {
    const { result, info } = pageOf([account(store.state)], new URL(c.req.url).searchParams, { perPage: 20, maxPerPage: 50 });
    return success(result, info);
  });
  app.get("/accounts/:account_id", () => success(account(store.state)));
}

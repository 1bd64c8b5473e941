/**
 * Zero Trust Access for an account: self-hosted applications (each with its AUD tag, the value
 * the Worker checks as CF_ACCESS_AUD), reusable policies the applications link to, identity
 * providers (a GitHub one from the start) and the organization, whose `auth_domain` is the team
 * domain. Answers carry the defaults Cloudflare fills in, so what Terraform's provider reads back
 * after an apply matches what it planned.
 */
import type { Hono } from "hono";
import { z } from "zod";
import { readBody } from "./body.ts";
import type { ApiContext } from "./context.ts";
import { apiError, success } from "./envelope.ts";
import { audTag, now, uuid } from "./ids.ts";
import { pageOf } from "./paging.ts";
import type { AccessApp, AccessPolicy, ApiObject, CloudflareState, IdentityProvider } from "./state.ts";

/** Access answers every refusal with 12130 and an `access.api.error.<kind>` message. */
export const ACCESS_CODE = 12130;
const invalid = (detail: string) => apiError(400, ACCESS_CODE, `access.api.error.invalid_request: ${detail}`);
const notFound = (what: string) => apiError(404, ACCESS_CODE, `access.api.error.not_found: ${what} not found`);
const PAGE = { perPage: 25, maxPerPage: 1000 };

/** Go's duration syntax, which Access parses: "24h", "30m", "1h30m", "0s". */
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export const IDP_TYPES = [
  "onetimepin",
  "azureAD",
  "saml",
  "centrify",
  "facebook",
  "github",
  "google-apps",
  "google",
  "linkedin",
  "oidc",
  "okta",
  "onelogin",
  "pingone",
  "yandex",
  "cloudflare",
] as const;

const Rule = z.record(z.string(), z.unknown()).refine((rule) => Object.keys(rule).length === 1, "each rule names one selector, e.g. { email: { email } }");

const PolicyInput = z.looseObject({
  name: z.string().min(1),
  decision: z.enum(["allow", "deny", "non_identity", "bypass"]),
  include: z.array(Rule).min(1),
  exclude: z.array(Rule).optional(),
  require: z.array(Rule).optional(),
  session_duration: z.string().nullable().optional(),
  approval_required: z.boolean().optional(),
  isolation_required: z.boolean().optional(),
  purpose_justification_required: z.boolean().optional(),
  approval_groups: z.array(z.unknown()).optional(),
});

const PolicyLink = z.union([z.string(), z.looseObject({ id: z.string().optional(), precedence: z.number().int().optional() })]);

const Destination = z.looseObject({ type: z.string().default("public"), uri: z.string().optional() });

const AppInput = z.looseObject({
  type: z.string().default("self_hosted"),
  name: z.string().optional(),
  domain: z.string().optional(),
  self_hosted_domains: z.array(z.string()).optional(),
  destinations: z.array(Destination).optional(),
  policies: z.array(PolicyLink).optional(),
  allowed_idps: z.array(z.string()).optional(),
  session_duration: z.string().optional(),
  tags: z.array(z.string()).optional(),
});

const IdpInput = z.looseObject({
  name: z.string().min(1),
  type: z.enum(IDP_TYPES),
  config: z.record(z.string(), z.unknown()).default({}),
  scim_config: z.record(z.string(), z.unknown()).optional(),
});

const OrganizationInput = z.looseObject({
  name: z.string().optional(),
  auth_domain: z.string().optional(),
  session_duration: z.string().optional(),
});

/** Checks each rule's selector; a login method must name one of the account's identity providers. */
function checkRules(rules: readonly Record<string, unknown>[], field: string, state: CloudflareState): void {
  for (const [index, rule] of rules.entries()) {
    const [kind, value] = Object.entries(rule)[0]!;
    const body = (value ?? {}) as Record<string, unknown>;
    if (kind === "login_method") {
      const id = body.id;
      if (typeof id !== "string") throw invalid(`${field}[${index}].login_method.id is required`);
      if (!state.identityProviders.some((idp) => idp.id === id))
        throw invalid(`${field}[${index}].login_method.id "${id}" is not an identity provider of this account`);
    } else if (kind === "email") {
      if (typeof body.email !== "string" || !EMAIL.test(body.email)) throw invalid(`${field}[${index}].email.email must be an email address`);
    } else if (kind === "email_domain") {
      if (typeof body.domain !== "string" || body.domain === "") throw invalid(`${field}[${index}].email_domain.domain is required`);
    }
  }
}

function checkDuration(value: string | null | undefined, field: string): void {
  if (value != null && !DURATION.test(value)) throw invalid(`${field} "${value}" is not a duration such as 24h or 30m`);
}

function policyFrom(input: z.infer<typeof PolicyInput>, state: CloudflareState, existing?: AccessPolicy): AccessPolicy {
  checkRules(input.include, "include", state);
  checkRules(input.exclude ?? [], "exclude", state);
  checkRules(input.require ?? [], "require", state);
  checkDuration(input.session_duration, "session_duration");
  const at = now();
  return {
    approval_groups: [],
    approval_required: false,
    isolation_required: false,
    purpose_justification_required: false,
    ...input,
    id: existing?.id ?? uuid(),
    exclude: input.exclude ?? [],
    require: input.require ?? [],
    session_duration: input.session_duration ?? "24h",
    reusable: true,
    created_at: existing?.created_at ?? at,
    updated_at: at,
  };
}

const policyOut = (policy: AccessPolicy, state: CloudflareState): ApiObject => ({
  ...policy,
  app_count: state.accessApps.filter((app) => app.policies.some((link) => link.id === policy.id)).length,
});

/** The defaults Cloudflare answers for a self-hosted application (the provider reads them back). */
const SELF_HOSTED_DEFAULTS = {
  app_launcher_visible: true,
  allowed_idps: [] as string[],
  auto_redirect_to_identity: false,
  enable_binding_cookie: false,
  http_only_cookie_attribute: true,
  options_preflight_bypass: false,
  service_auth_401_redirect: false,
  skip_interstitial: false,
  allow_iframe: false,
  path_cookie_attribute: false,
  session_duration: "24h",
  tags: [] as string[],
};

function appFrom(input: z.infer<typeof AppInput>, state: CloudflareState, existing?: AccessApp): AccessApp {
  if (input.type !== "self_hosted") throw invalid(`application type "${input.type}" is not emulated (only self_hosted is)`);
  const publicUris = (input.destinations ?? []).filter((item) => item.type === "public" && item.uri).map((item) => item.uri!);
  const domain = input.domain ?? publicUris[0] ?? input.self_hosted_domains?.[0];
  if (!domain) throw invalid("a self_hosted application needs a domain (or public destinations)");
  const selfHostedDomains = input.self_hosted_domains ?? (publicUris.length ? publicUris : [domain]);
  for (const id of input.allowed_idps ?? [])
    if (!state.identityProviders.some((idp) => idp.id === id)) throw invalid(`allowed_idps: "${id}" is not an identity provider of this account`);
  checkDuration(input.session_duration, "session_duration");
  const policies = (input.policies ?? []).map((link, index) => {
    const id = typeof link === "string" ? link : link.id;
    if (id === undefined) throw invalid(`policies[${index}]: inline policies are not emulated; create a reusable policy and link its id`);
    if (!state.accessPolicies.some((policy) => policy.id === id)) throw invalid(`policies[${index}]: policy "${id}" does not exist`);
    return { id, precedence: typeof link === "string" || link.precedence === undefined ? index + 1 : link.precedence };
  });
  if (new Set(policies.map((link) => link.precedence)).size !== policies.length) throw invalid("policy precedences must be unique");
  const at = now();
  return {
    ...SELF_HOSTED_DEFAULTS,
    ...input,
    id: existing?.id ?? uuid(),
    aud: existing?.aud ?? audTag(),
    type: "self_hosted",
    name: input.name ?? domain,
    domain,
    self_hosted_domains: selfHostedDomains,
    destinations: input.destinations ?? selfHostedDomains.map((uri) => ({ type: "public", uri })),
    policies,
    created_at: existing?.created_at ?? at,
    updated_at: at,
  };
}

/** Linked policies are answered in full, with their precedence, ordered by it. */
function appOut(app: AccessApp, state: CloudflareState): ApiObject {
  const policies = [...app.policies]
    .sort((a, b) => a.precedence - b.precedence)
    .map((link) => {
      const policy = state.accessPolicies.find((item) => item.id === link.id);
      return policy ? { ...policyOut(policy, state), precedence: link.precedence } : link;
    });
  return { ...app, policies };
}

/** What Cloudflare answers for an identity provider: never its secrets (client_secret, SCIM secret). */
function idpOut(idp: IdentityProvider): ApiObject {
  const { client_secret: _, ...config } = (idp.config ?? {}) as Record<string, unknown>;
  const { secret: __, ...scim } = (idp.scim_config ?? {}) as Record<string, unknown>;
  return { ...idp, config, scim_config: scim };
}

function idpFrom(input: z.infer<typeof IdpInput>, state: CloudflareState, existing?: IdentityProvider): IdentityProvider {
  const authDomain = String(state.organization.auth_domain);
  return {
    ...input,
    id: existing?.id ?? uuid(),
    config: { ...input.config, redirect_url: `https://${authDomain}/cdn-cgi/access/callback` },
    scim_config: { enabled: false, user_deprovision: false, seat_deprovision: false, identity_update_behavior: "no_action", ...input.scim_config },
  };
}

/** The GitHub login every emulated account starts with (moltworker's docs use GitHub). */
export function defaultIdentityProvider(authDomain: string): IdentityProvider {
  return {
    id: uuid(),
    name: "GitHub",
    type: "github",
    config: { client_id: "Iv1.moltlab0emulator", redirect_url: `https://${authDomain}/cdn-cgi/access/callback` },
    scim_config: { enabled: false, user_deprovision: false, seat_deprovision: false, identity_update_behavior: "no_action" },
  };
}

export function defaultOrganization(teamName: string): ApiObject {
  const at = now();
  return {
    name: teamName,
    auth_domain: `${teamName}.cloudflareaccess.com`,
    allow_authenticate_via_warp: false,
    auto_redirect_to_identity: false,
    is_ui_read_only: false,
    session_duration: "24h",
    warp_auth_session_duration: "24h",
    login_design: {},
    custom_pages: {},
    created_at: at,
    updated_at: at,
  };
}

export function accessRoutes(app: Hono, { store }: ApiContext): void {
  const base = "/accounts/:account_id/access";
  const query = (url: string) => new URL(url).searchParams;

  // ── applications ──
  app.post(`${base}/apps`, async (c) => {
    const input = await readBody(c.req.raw, AppInput, invalid);
    const created = await store.mutate((draft, record) => {
      const created = appFrom(input, draft);
      draft.accessApps.push(created);
      record({ kind: "access.app", action: "create", id: created.id, after: created });
      return created;
    });
    return success(appOut(created, store.state));
  });
  app.get(`${base}/apps`, (c) => {
    const { result, info } = pageOf(store.state.accessApps, query(c.req.url), PAGE);
    return success(
      result.map((item) => appOut(item, store.state)),
      info,
    );
  });
  app.get(`${base}/apps/:app_id`, (c) => {
    const found = store.state.accessApps.find((item) => item.id === c.req.param("app_id") || item.domain === c.req.param("app_id"));
    if (!found) throw notFound("application");
    return success(appOut(found, store.state));
  });
  app.put(`${base}/apps/:app_id`, async (c) => {
    const input = await readBody(c.req.raw, AppInput, invalid);
    const id = c.req.param("app_id");
    const updated = await store.mutate((draft, record) => {
      const index = draft.accessApps.findIndex((item) => item.id === id);
      if (index < 0) throw notFound("application");
      const before = draft.accessApps[index]!;
      const after = appFrom(input, draft, before);
      draft.accessApps[index] = after;
      record({ kind: "access.app", action: "update", id, before, after });
      return after;
    });
    return success(appOut(updated, store.state));
  });
  app.delete(`${base}/apps/:app_id`, async (c) => {
    const id = c.req.param("app_id");
    await store.mutate((draft, record) => {
      const index = draft.accessApps.findIndex((item) => item.id === id);
      if (index < 0) throw notFound("application");
      const [removed] = draft.accessApps.splice(index, 1);
      record({ kind: "access.app", action: "delete", id, before: removed });
    });
    return success({ id });
  });

  // ── reusable policies ──
  app.post(`${base}/policies`, async (c) => {
    const input = await readBody(c.req.raw, PolicyInput, invalid);
    const created = await store.mutate((draft, record) => {
      const created = policyFrom(input, draft);
      draft.accessPolicies.push(created);
      record({ kind: "access.policy", action: "create", id: created.id, after: created });
      return created;
    });
    return success(policyOut(created, store.state));
  });
  app.get(`${base}/policies`, (c) => {
    const { result, info } = pageOf(store.state.accessPolicies, query(c.req.url), PAGE);
    return success(
      result.map((item) => policyOut(item, store.state)),
      info,
    );
  });
  app.get(`${base}/policies/:policy_id`, (c) => {
    const found = store.state.accessPolicies.find((item) => item.id === c.req.param("policy_id"));
    if (!found) throw notFound("policy");
    return success(policyOut(found, store.state));
  });
  app.put(`${base}/policies/:policy_id`, async (c) => {
    const input = await readBody(c.req.raw, PolicyInput, invalid);
    const id = c.req.param("policy_id");
    const updated = await store.mutate((draft, record) => {
      const index = draft.accessPolicies.findIndex((item) => item.id === id);
      if (index < 0) throw notFound("policy");
      const before = draft.accessPolicies[index]!;
      const after = policyFrom(input, draft, before);
      draft.accessPolicies[index] = after;
      record({ kind: "access.policy", action: "update", id, before, after });
      return after;
    });
    return success(policyOut(updated, store.state));
  });
  app.delete(`${base}/policies/:policy_id`, async (c) => {
    const id = c.req.param("policy_id");
    await store.mutate((draft, record) => {
      const index = draft.accessPolicies.findIndex((item) => item.id === id);
      if (index < 0) throw notFound("policy");
      const users = draft.accessApps.filter((item) => item.policies.some((link) => link.id === id));
      if (users.length) throw invalid(`policy is linked to ${users.length} application(s) (${users.map((item) => item.name).join(", ")}); unlink it first`);
      const [removed] = draft.accessPolicies.splice(index, 1);
      record({ kind: "access.policy", action: "delete", id, before: removed });
    });
    return success({ id });
  });

  // ── identity providers ──
  app.post(`${base}/identity_providers`, async (c) => {
    const input = await readBody(c.req.raw, IdpInput, invalid);
    const created = await store.mutate((draft, record) => {
      const created = idpFrom(input, draft);
      draft.identityProviders.push(created);
      record({ kind: "access.identity_provider", action: "create", id: created.id, after: created });
      return created;
    });
    return success(idpOut(created));
  });
  app.get(`${base}/identity_providers`, (c) => {
    const { result, info } = pageOf(store.state.identityProviders, query(c.req.url), PAGE);
    return success(result.map(idpOut), info);
  });
  app.get(`${base}/identity_providers/:idp_id`, (c) => {
    const found = store.state.identityProviders.find((item) => item.id === c.req.param("idp_id"));
    if (!found) throw notFound("identity provider");
    return success(idpOut(found));
  });
  app.put(`${base}/identity_providers/:idp_id`, async (c) => {
    const input = await readBody(c.req.raw, IdpInput, invalid);
    const id = c.req.param("idp_id");
    const updated = await store.mutate((draft, record) => {
      const index = draft.identityProviders.findIndex((item) => item.id === id);
      if (index < 0) throw notFound("identity provider");
      const before = draft.identityProviders[index]!;
      const after = idpFrom(input, draft, before);
      draft.identityProviders[index] = after;
      record({ kind: "access.identity_provider", action: "update", id, before, after });
      return after;
    });
    return success(idpOut(updated));
  });
  app.delete(`${base}/identity_providers/:idp_id`, async (c) => {
    const id = c.req.param("idp_id");
    await store.mutate((draft, record) => {
      const index = draft.identityProviders.findIndex((item) => item.id === id);
      if (index < 0) throw notFound("identity provider");
      const [removed] = draft.identityProviders.splice(index, 1);
      record({ kind: "access.identity_provider", action: "delete", id, before: removed });
    });
    return success({ id });
  });

  // ── organization (the team domain) ──
  app.get(`${base}/organizations`, () => success(store.state.organization));
  app.post(`${base}/organizations`, () => {
    throw invalid(`this account has an organization already (${String(store.state.organization.auth_domain)}); change it with PUT`);
  });
  app.put(`${base}/organizations`, async (c) => {
    const input = await readBody(c.req.raw, OrganizationInput, invalid);
    checkDuration(input.session_duration, "session_duration");
    if (input.auth_domain !== undefined && !/^[a-z0-9-]+\.cloudflareaccess\.com$/.test(input.auth_domain))
      throw invalid(`auth_domain "${input.auth_domain}" must be <team>.cloudflareaccess.com`);
    const updated = await store.mutate((draft, record) => {
      const before = draft.organization;
      draft.organization = { ...before, ...input, updated_at: now() };
      record({ kind: "access.organization", action: "update", id: String(draft.organization.auth_domain), before, after: draft.organization });
      return draft.organization;
    });
    return success(updated);
  });
}

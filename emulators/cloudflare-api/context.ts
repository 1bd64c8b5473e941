/** What every route module is given: the account's state and how to reach it. */
import type { Hono } from "hono";
import type { Store } from "./state.ts";

export interface ApiContext {
  readonly store: Store;
  /** Where a bucket created without a location hint lands (Cloudflare picks the nearest region). */
  readonly defaultLocation: string;
}

export type RouteModule = (app: Hono, context: ApiContext) => void;

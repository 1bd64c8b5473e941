/**
 * Paging as the v4 API pages: `page` (from 1) and `per_page`, answered with `result_info`
 * { page, per_page, count, total_count, total_pages }. A page past the end is empty, which is how
 * the SDK's auto-pagination knows it is done. `per_page` above a list's maximum is capped.
 */
import type { PageInfo } from "./envelope.ts";

export interface PageLimits {
  perPage: number;
  maxPerPage: number;
}

const positive = (raw: string | undefined): number | undefined => {
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const value = Number(raw);
  return value >= 1 ? value : undefined;
};

export function pageOf<T>(items: readonly T[], query: URLSearchParams, limits: PageLimits): { result: T[]; info: PageInfo } {
  const page = positive(query.get("page") ?? undefined) ?? 1;
  const perPage = Math.min(positive(query.get("per_page") ?? undefined) ?? limits.perPage, limits.maxPerPage);
  const result = items.slice((page - 1) * perPage, page * perPage);
  return {
    result,
    info: { page, per_page: perPage, count: result.length, total_count: items.length, total_pages: Math.ceil(items.length / perPage) },
  };
}

/** For sorting with `order`/`direction`: compares two values of a field, strings by code point. */
export function compareBy<T>(field: (item: T) => string | number | boolean | undefined, direction: "asc" | "desc" = "asc") {
  const sign = direction === "desc" ? -1 : 1;
  return (a: T, b: T): number => {
    const [x, y] = [field(a), field(b)];
    if (x === y) return 0;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    return (x < y ? -1 : 1) * sign;
  };
}

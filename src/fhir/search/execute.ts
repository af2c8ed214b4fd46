// Runs a parsed search against the store: matching rows, the total, and the included resources.
import type { Queryable } from '../../store/db';
import { compileSearch } from '../../store/search-compile';
import type { HubContext } from '../hub-context';
import type { SearchQuery } from './parse';
import { resolveIncludes } from './includes';

export interface SearchRow {
  rid: number;
  resType: string;
  id: string;
  content: string;
}

export interface SearchResult {
  matches: SearchRow[];
  included: SearchRow[];
  total?: number;
  hasMore: boolean;
}

export async function executeSearch(ctx: HubContext, q: Queryable, query: SearchQuery): Promise<SearchResult> {
  const { where, orderBy, params, whereValues } = compileSearch(query, ctx.config.baseUrl);
  let total: number | undefined;
  if (query.total !== 'none' || query.summary === 'count') {
    const c = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource r WHERE ${where}`, whereValues);
    total = Number(c.rows[0].n);
  }
  if (query.summary === 'count') return { matches: [], included: [], total, hasMore: false };
  const limit = params.bind(query.count + 1);
  const offset = params.bind(query.offset);
  const r = await q.query<SearchRow>(
    `SELECT r.rid, r.res_type AS "resType", r.id, r.content FROM resource r WHERE ${where} ORDER BY ${orderBy} LIMIT ${limit} OFFSET ${offset}`,
    params.values,
  );
  const hasMore = r.rows.length > query.count;
  const matches = r.rows.slice(0, query.count);
  const included = await resolveIncludes(ctx, q, query, matches);
  return { matches, included, total, hasMore };
}

/** The ids matching criteria, at most `limit` (conditional interactions need to know 0, 1 or many). */
export async function matchRids(ctx: HubContext, q: Queryable, query: SearchQuery, limit: number): Promise<{ rid: number; id: string }[]> {
  const { where, whereValues } = compileSearch(query, ctx.config.baseUrl);
  const values = [...whereValues, limit];
  const r = await q.query<{ rid: number; id: string }>(`SELECT r.rid, r.id FROM resource r WHERE ${where} LIMIT $${values.length}`, values);
  return r.rows.map((row) => ({ rid: Number(row.rid), id: row.id }));
}

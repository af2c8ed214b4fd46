// Reads for the summary documents (FHIR R4 §3.1.1 search), through the hub's search services so the caller's
// access rule (ctx.guard) is compiled into every query, as for any client search.
import type { Queryable } from '../../store/db';
import type { HubContext } from '../../fhir/hub-context';
import { executeSearch, type SearchRow } from '../../fhir/search/execute';
import { resolveIncludes } from '../../fhir/search/includes';
import { parseSearch, type SearchQuery } from '../../fhir/search/parse';

/** A bound on what one section may list, so a pathological record cannot make an unbounded document. */
export const MAX_ROWS = 5000;

export function parseFor(ctx: HubContext, type: string, params: [string, string][], count = ctx.config.maxPageSize): SearchQuery {
  return parseSearch(ctx.registry, type, params, { lenient: false, defaultCount: count, maxCount: ctx.config.maxPageSize });
}

/** Every match of `type?params`, page after page (no total is counted: nobody reads it). */
export async function searchAll(ctx: HubContext, q: Queryable, type: string, params: [string, string][], max = MAX_ROWS): Promise<SearchRow[]> {
  const query = { ...parseFor(ctx, type, params), total: 'none' as const };
  const out: SearchRow[] = [];
  for (let offset = 0; out.length < max; offset += query.count) {
    const page = await executeSearch(ctx, q, { ...query, offset });
    out.push(...page.matches);
    if (!page.hasMore) break;
  }
  return out.slice(0, max);
}

/** The resources `type/id` for a list of references, fetched by `_id` per type; invisible or missing ones are left out. */
export async function readByReference(ctx: HubContext, q: Queryable, refs: Iterable<string>): Promise<SearchRow[]> {
  const byType = new Map<string, Set<string>>();
  for (const ref of refs) {
    const [type, id] = ref.split('/');
    if (!type || !id) continue;
    byType.set(type, (byType.get(type) ?? new Set()).add(id));
  }
  const out: SearchRow[] = [];
  for (const [type, ids] of byType) {
    const list = [...ids];
    // _id takes a comma list; chunks keep the URL-shaped parameter (and the SQL array) reasonable.
    for (let i = 0; i < list.length; i += 200) {
      const chunk = list.slice(i, i + 200).map((x) => x.replace(/,/g, '\\,'));
      if (!ctx.registry.get(type, '_id')) continue;
      out.push(...(await searchAll(ctx, q, type, [['_id', chunk.join(',')]])));
    }
  }
  return out;
}

/** Resources the rows point at through indexed reference parameters (as `_include=*:*` would), once each. */
export async function referencedRows(ctx: HubContext, q: Queryable, rows: SearchRow[], keep: (type: string) => boolean): Promise<SearchRow[]> {
  if (rows.length === 0) return [];
  const query = { ...parseFor(ctx, rows[0].resType || 'Patient', []), include: ['*'] };
  const found = await resolveIncludes(ctx, q, query, rows);
  const kept = found.filter((r) => keep(r.resType));
  ctx.guard?.noteReturned(kept);
  return kept;
}

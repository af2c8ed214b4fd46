// _include and _revinclude (FHIR R4 §3.1.1.5.4): resources referenced by, or referencing, the matches.
import type { Queryable } from '../../store/db';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import type { SearchQuery } from './parse';
import type { SearchRow } from './execute';

const ROW = 'r.rid, r.res_type AS "resType", r.id, r.content';

function parseSpec(spec: string): { source: string; param: string; target?: string } {
  const [source, param, target] = spec.replace(/:iterate$/, '').split(':');
  if (!source || !param) throw errors.badRequest(`Invalid include "${spec}": expected Type:parameter[:targetType]`, '_include');
  return { source, param, target };
}

export async function resolveIncludes(ctx: HubContext, q: Queryable, query: SearchQuery, matches: SearchRow[]): Promise<SearchRow[]> {
  if (matches.length === 0 || (query.include.length === 0 && query.revinclude.length === 0)) return [];
  const seen = new Set(matches.map((m) => m.rid));
  const out: SearchRow[] = [];
  const rids = matches.map((m) => m.rid);
  for (const spec of query.include) {
    const { source, param, target } = parseSpec(spec);
    const paramCond = param === '*' ? '' : 'AND t.param = $2';
    const args: unknown[] = [rids];
    if (param !== '*') args.push(param);
    const targetCond = target ? `AND r.res_type = $${args.push(target)}` : '';
    const r = await q.query<SearchRow>(
      `SELECT DISTINCT ${ROW} FROM idx_reference t JOIN resource r ON r.res_type = t.target_type AND r.id = t.target_id
        WHERE t.rid = ANY($1::bigint[]) ${paramCond} AND t.res_type = ${`$${args.push(source)}`} ${targetCond} AND NOT r.deleted`,
      args,
    );
    for (const row of r.rows) if (!seen.has(Number(row.rid))) (seen.add(Number(row.rid)), out.push(row));
  }
  const ids = matches.map((m) => m.id);
  for (const spec of query.revinclude) {
    const { source, param } = parseSpec(spec);
    const args: unknown[] = [query.resourceType, ids, source];
    const paramCond = param === '*' ? '' : `AND t.param = $${args.push(param)}`;
    const r = await q.query<SearchRow>(
      `SELECT DISTINCT ${ROW} FROM idx_reference t JOIN resource r ON r.rid = t.rid
        WHERE t.target_type = $1 AND t.target_id = ANY($2::text[]) AND t.res_type = $3 ${paramCond} AND NOT r.deleted`,
      args,
    );
    for (const row of r.rows) if (!seen.has(Number(row.rid))) (seen.add(Number(row.rid)), out.push(row));
  }
  return out;
}

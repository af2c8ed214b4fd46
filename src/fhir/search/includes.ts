// _include and _revinclude (FHIR R4 §3.1.1.5.4), with :iterate: resources referenced by, or referencing,
// the matches — and, iterating, the included resources — each returned once.
import { accessCondition, type AccessRule } from '../../store/access-sql';
import type { Queryable } from '../../store/db';
import { SqlParams } from '../../store/sql-builder';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import type { SearchQuery } from './parse';
import type { SearchRow } from './execute';

const ROW = 'r.rid, r.res_type AS "resType", r.id, r.content';
/** Bounds on :iterate, so a reference cycle or a huge graph cannot run away. */
const MAX_ROUNDS = 4;
const MAX_INCLUDED = 5000;

interface IncludeSpec {
  source: string;
  param: string;
  target?: string;
  iterate: boolean;
}

export function parseIncludeSpec(spec: string, name: string): IncludeSpec {
  const iterate = /:(iterate|recurse)$/.test(spec);
  const body = spec.replace(/:(iterate|recurse)$/, '');
  if (body === '*') return { source: '*', param: '*', iterate };
  const [source, param, target] = body.split(':');
  if (!source || !param) throw errors.badRequest(`Invalid ${name} "${spec}": expected Type:parameter[:targetType]`, name, 'HUB-0450');
  return { source, param, target, iterate };
}

/** Included rows obey the caller's access rule like matches do: an include never reaches past it. */
function accessFilter(p: SqlParams, access: AccessRule | undefined): string {
  return access ? `AND ${accessCondition(p, access, 'r')}` : '';
}

async function forward(q: Queryable, spec: IncludeSpec, rows: SearchRow[], access?: AccessRule): Promise<SearchRow[]> {
  const sources = rows.filter((r) => spec.source === '*' || r.resType === spec.source).map((r) => r.rid);
  if (sources.length === 0) return [];
  const p = new SqlParams();
  const sourceParam = p.bind(sources);
  const paramCond = spec.param === '*' ? '' : `AND t.param = ${p.bind(spec.param)}`;
  const targetCond = spec.target ? `AND t.target_type = ${p.bind(spec.target)}` : '';
  const r = await q.query<SearchRow>(
    `SELECT DISTINCT ${ROW} FROM idx_reference t JOIN resource r ON r.res_type = t.target_type AND r.id = t.target_id
      WHERE t.rid = ANY(${sourceParam}::bigint[]) ${paramCond} ${targetCond} AND NOT r.deleted ${accessFilter(p, access)}`,
    p.values,
  );
  return r.rows;
}

async function reverse(q: Queryable, spec: IncludeSpec, rows: SearchRow[], access?: AccessRule): Promise<SearchRow[]> {
  const byType = new Map<string, string[]>();
  for (const r of rows) byType.set(r.resType, [...(byType.get(r.resType) ?? []), r.id]);
  const out: SearchRow[] = [];
  for (const [type, ids] of byType) {
    const p = new SqlParams();
    const typeParam = p.bind(type);
    const idsParam = p.bind(ids);
    const sourceCond = spec.source === '*' ? '' : `AND t.res_type = ${p.bind(spec.source)}`;
    const paramCond = spec.param === '*' ? '' : `AND t.param = ${p.bind(spec.param)}`;
    const r = await q.query<SearchRow>(
      `SELECT DISTINCT ${ROW} FROM idx_reference t JOIN resource r ON r.rid = t.rid
        WHERE t.target_type = ${typeParam} AND t.target_id = ANY(${idsParam}::text[]) ${sourceCond} ${paramCond} AND NOT r.deleted ${accessFilter(p, access)}`,
      p.values,
    );
    out.push(...r.rows);
  }
  return out;
}

export async function resolveIncludes(ctx: HubContext, q: Queryable, query: SearchQuery, matches: SearchRow[]): Promise<SearchRow[]> {
  if (matches.length === 0 || (query.include.length === 0 && query.revinclude.length === 0)) return [];
  const includes = query.include.map((s) => parseIncludeSpec(s, '_include'));
  const revincludes = query.revinclude.map((s) => parseIncludeSpec(s, '_revinclude'));
  const seen = new Set(matches.map((m) => Number(m.rid)));
  const access = query.access ?? ctx.guard?.access();
  const out: SearchRow[] = [];
  let frontier = matches;
  for (let round = 0; round < MAX_ROUNDS && frontier.length > 0 && out.length < MAX_INCLUDED; round++) {
    // The first round starts from the matches with every spec; later rounds only with :iterate specs.
    const useAll = round === 0;
    const found: SearchRow[] = [];
    for (const spec of includes) if (useAll || spec.iterate) found.push(...(await forward(q, spec, frontier, access)));
    for (const spec of revincludes) if (useAll || spec.iterate) found.push(...(await reverse(q, spec, frontier, access)));
    const fresh = found.filter((row) => !seen.has(Number(row.rid)) && seen.add(Number(row.rid)));
    out.push(...fresh);
    frontier = fresh;
  }
  return out.slice(0, MAX_INCLUDED);
}

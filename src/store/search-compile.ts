// Compiles a whole search (FHIR R4 §3.1.1): type or types, compartment, criteria, sort order.
import { errors } from '../fhir/errors';
import type { SearchQuery } from '../fhir/search/parse';
import { accessCondition } from './access-sql';
import { filterCondition, TABLE_OF } from './search-sql';
import { SqlParams } from './sql-builder';

export interface CompiledSearch {
  where: string;
  orderBy: string;
  params: SqlParams;
  /** The values `where` alone uses (a count query has no ORDER BY, whose values come after). */
  whereValues: unknown[];
  /** A cheaper count (same values as `where`) when every criterion is a positive index lookup. */
  countSql?: string;
}

/** The subquery of `r.rid IN (subquery)` when that is the whole condition; undefined otherwise. */
function ridSubquery(cond: string): string | undefined {
  const head = 'r.rid IN (';
  if (!cond.startsWith(head) || !cond.endsWith(')')) return undefined;
  let depth = 0;
  for (let i = head.length - 1; i < cond.length; i++) {
    if (cond[i] === '(') depth++;
    else if (cond[i] === ')' && --depth === 0 && i !== cond.length - 1) return undefined;
  }
  return cond.slice(head.length, -1);
}

/**
 * Index rows exist only for the current, undeleted version of a resource of their res_type, so when
 * every criterion is `r.rid IN (index lookup)` the count needs no visit to the resource table.
 */
function indexOnlyCount(conds: string[]): string | undefined {
  const typeParam = /^r\.res_type = (\$\d+)$/.exec(conds[0] ?? '')?.[1];
  const subs = conds.slice(1).map(ridSubquery);
  if (!typeParam || subs.length === 0 || subs.some((s) => s === undefined)) return undefined;
  // Every bound value must appear in the statement, the type's too (the lookups repeat it themselves).
  const typeBound = `WHERE ${typeParam}::text IS NOT NULL`;
  // The first criterion drives; the others are semi-joins the planner can probe by rid (an INTERSECT
  // would read every row of each lookup, e.g. every date of every observation).
  const others = subs.slice(1).map((s) => ` AND x.rid IN (${s})`).join('');
  return `SELECT count(*)::int AS n FROM (SELECT DISTINCT rid FROM (${subs[0]}) s) x ${typeBound}${others}`;
}

function sortExpression(p: SqlParams, key: SearchQuery['sort'][number]): string {
  const def = key.def;
  const direction = key.descending ? 'DESC' : 'ASC';
  if (def.code === '_id') return `r.id ${direction}`;
  if (def.code === '_lastUpdated') return `r.last_updated ${direction}`;
  const column: Record<string, string> = { string: 'value', token: 'code', reference: 'target_id', date: key.descending ? 'hi' : 'lo', number: 'lo', quantity: 'lo', uri: 'value' };
  const table = TABLE_OF[def.type];
  if (!table || !column[def.type]) throw errors.badRequest(`Cannot sort on parameter "${def.code}" of type ${def.type}`, '_sort', 'HUB-0423');
  // A resource with several values sorts by its lowest (ascending) or highest (descending) one.
  const agg = key.descending ? 'max' : 'min';
  const sub = `(SELECT ${agg}(t.${column[def.type]}) FROM ${table} t WHERE t.rid = r.rid AND t.param = ${p.bind(def.code)})`;
  return `${sub} ${direction} NULLS LAST`;
}

/** The conditions of one resource type's branch; an empty resourceType means every type. */
function branchConditions(p: SqlParams, q: SearchQuery, baseUrl: string, access: SearchQuery['access']): string[] {
  const conds: string[] = [];
  if (q.resourceType) conds.push(`r.res_type = ${p.bind(q.resourceType)}`);
  if (q.compartment) {
    const c = q.compartment;
    conds.push(
      `r.rid IN (SELECT t.rid FROM idx_reference t WHERE t.res_type = ${p.bind(q.resourceType)} AND t.param = ANY(${p.bind(c.params)}::text[]) AND t.target_type = ${p.bind(c.type)} AND t.target_id = ${p.bind(c.id)})`,
    );
  }
  for (const f of q.filters) conds.push(filterCondition(p, f, baseUrl, 'r', 0, q.resourceType, access));
  if (access) {
    // A rule that does not restrict this type (a system client's scopes) adds nothing, so the index-only count still applies.
    const allowed = accessCondition(p, access, 'r', q.resourceType);
    if (allowed !== 'TRUE') conds.push(allowed);
  }
  return conds;
}

/** `p`: parameters already bound by the caller, when the search is one part of a larger statement. */
export function compileSearch(q: SearchQuery, baseUrl: string, p = new SqlParams()): CompiledSearch {
  const conditions = [q, ...(q.union ?? [])].map((b) => branchConditions(p, b, baseUrl, q.access));
  const branches = conditions.map((c) => (c.length > 0 ? c.join(' AND ') : 'TRUE'));
  const where = branches.length === 1 ? `NOT r.deleted AND ${branches[0]}` : `NOT r.deleted AND (${branches.map((b) => `(${b})`).join(' OR ')})`;
  const countSql = conditions.length === 1 && q.resourceType ? indexOnlyCount(conditions[0]) : undefined;
  const whereValues = [...p.values];
  const order = q.sort.map((k) => sortExpression(p, k));
  order.push('r.rid');
  return { where, orderBy: order.join(', '), params: p, whereValues, countSql };
}

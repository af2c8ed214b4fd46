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
function branchCondition(p: SqlParams, q: SearchQuery, baseUrl: string, access: SearchQuery['access']): string {
  const conds: string[] = [];
  if (q.resourceType) conds.push(`r.res_type = ${p.bind(q.resourceType)}`);
  if (q.compartment) {
    const c = q.compartment;
    conds.push(
      `r.rid IN (SELECT t.rid FROM idx_reference t WHERE t.res_type = ${p.bind(q.resourceType)} AND t.param = ANY(${p.bind(c.params)}::text[]) AND t.target_type = ${p.bind(c.type)} AND t.target_id = ${p.bind(c.id)})`,
    );
  }
  for (const f of q.filters) conds.push(filterCondition(p, f, baseUrl, 'r', 0, q.resourceType, access));
  if (access) conds.push(accessCondition(p, access, 'r', q.resourceType));
  return conds.length > 0 ? conds.join(' AND ') : 'TRUE';
}

export function compileSearch(q: SearchQuery, baseUrl: string): CompiledSearch {
  const p = new SqlParams();
  const branches = [q, ...(q.union ?? [])].map((b) => branchCondition(p, b, baseUrl, q.access));
  const where = branches.length === 1 ? `NOT r.deleted AND ${branches[0]}` : `NOT r.deleted AND (${branches.map((b) => `(${b})`).join(' OR ')})`;
  const whereValues = [...p.values];
  const order = q.sort.map((k) => sortExpression(p, k));
  order.push('r.rid');
  return { where, orderBy: order.join(', '), params: p, whereValues };
}

// Conditional interactions (FHIR R4 §3.1.0.5-7, §3.1.0.11): find what criteria match, race-free.
// An advisory lock keyed by type + criteria serializes concurrent requests with the same criteria,
// so 20 parallel conditional creates create one resource (the search runs after the lock is held).
import type { Queryable } from '../../store/db';
import { readCurrent } from '../../store/resource-store';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import { matchRids } from '../search/execute';
import { parseSearch } from '../search/parse';
import { assertId } from './body';

export function parseCriteria(criteria: string): [string, string][] {
  const text = criteria.includes('?') ? criteria.slice(criteria.indexOf('?') + 1) : criteria;
  const params = [...new URLSearchParams(text).entries()];
  if (params.length === 0) throw errors.badRequest(`Conditional criteria are empty: "${criteria}"`, undefined, 'HUB-0440');
  return params;
}

/** The criteria of PUT/PATCH/DELETE Type?criteria: the query itself, which must not be empty. */
export function criteriaFromParams(params: [string, string][]): [string, string][] {
  const criteria = params.filter(([k]) => k !== '_format' && k !== '_pretty');
  if (criteria.length === 0) throw errors.badRequest('A conditional interaction needs search criteria in the URL', undefined, 'HUB-0440');
  return criteria;
}

export async function findMatches(ctx: HubContext, tx: Queryable, type: string, params: [string, string][], limit = 2): Promise<{ rid: number; id: string }[]> {
  const query = parseSearch(ctx.registry, type, params, { lenient: false, defaultCount: limit, maxCount: limit });
  const key = `${type}?${params.map(([k, v]) => `${k}=${v}`).sort().join('&')}`;
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
  return matchRids(ctx, tx, query, limit);
}

/**
 * The id a conditional update writes (§3.1.0.4.3): the one match's, else the body's, else a new one.
 * A body id naming an existing resource the criteria do not match is a conflict (the rule FHIR R5 states):
 * otherwise the criteria would be bypassed and that resource overwritten.
 */
export async function conditionalUpdateId(ctx: HubContext, tx: Queryable, type: string, criteria: [string, string][], bodyId: string | undefined, newId: () => string): Promise<string> {
  const found = await findMatches(ctx, tx, type, criteria);
  if (found.length > 1) throw errors.multipleMatches(`The criteria match several ${type} resources; conditional update needs one`);
  if (found.length === 1) {
    if (bodyId !== undefined && bodyId !== found[0].id) {
      throw errors.badRequest(`The id in the body ("${bodyId}") differs from the matching ${type}/${found[0].id}`, `${type}.id`, 'HUB-0437');
    }
    return found[0].id;
  }
  if (bodyId === undefined) return newId();
  assertId(bodyId);
  const existing = await readCurrent(tx, type, bodyId);
  if (existing && !existing.deleted) {
    throw errors.conflict(`${type}/${bodyId} exists but does not match the criteria; a conditional update may not overwrite it`);
  }
  return bodyId;
}

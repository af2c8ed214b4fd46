// Patient/[id]/$everything (FHIR R4 §8.1.13.x OperationDefinition Patient-everything): the patient, every
// resource of its Patient compartment, and the resources they reference outside it, as a paged searchset.
// One indexed compartment search per type, in a fixed order, each ordered by row id: a page is cut from the
// per-type counts, so offset paging visits each resource exactly once and costs what the patient holds,
// not what the database holds (a single OR-ed search over ~60 types scanned the whole resource table).
import type { Queryable } from '../../store/db';
import { referencedRows, parseFor, searchAll } from '../../workflows/summary/search-rows';
import { bundleText, pageLinks, type BundleEntryText } from '../bundle/searchset';
import { resourceTypes } from '../definitions';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import { assertId } from '../interactions/body';
import { param, type FhirRequest, type FhirResponse } from '../request';
import { compartmentMembers, compartmentParams } from '../search/compartments';
import { executeSearch, type SearchRow } from '../search/execute';
import type { SearchQuery } from '../search/parse';

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** Pages of $everything default larger than a search's: clients walk the whole record. */
const DEFAULT_COUNT = 100;

function wholeNumber(req: FhirRequest, name: string, min: number): number | undefined {
  const raw = param(req, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw errors.badRequest(`${name} must be a whole number${min > 0 ? ` ≥ ${min}` : ''}, got "${raw}"`, name, 'HUB-0420');
  return Number(raw);
}

interface EverythingParams {
  count: number;
  offset: number;
  since?: string;
  types?: string[];
}

function readParams(ctx: HubContext, req: FhirRequest): EverythingParams {
  const count = Math.min(wholeNumber(req, '_count', 1) ?? DEFAULT_COUNT, ctx.config.maxPageSize);
  const offset = wholeNumber(req, '_offset', 0) ?? 0;
  const since = param(req, '_since');
  if (since !== undefined && (!INSTANT.test(since) || Number.isNaN(Date.parse(since)))) {
    throw errors.badRequest(`_since must be an instant such as 2024-01-31T12:00:00Z, got "${since}"`, '_since', 'HUB-0420');
  }
  const typeValues = req.params.filter(([k]) => k === '_type').flatMap(([, v]) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const t of typeValues) if (!resourceTypes().has(t)) throw errors.badRequest(`_type: unknown resource type "${t}"`, '_type', 'HUB-0426');
  return { count, offset, since, types: typeValues.length ? [...new Set(typeValues)] : undefined };
}

/** The rows at [offset, offset + count) of the concatenation of the branches, and the total. */
async function cutPage(ctx: HubContext, q: Queryable, plan: SearchQuery[], offset: number, count: number, inTransaction: boolean): Promise<{ matches: SearchRow[]; total: number }> {
  const countOf = async (b: SearchQuery) => (await executeSearch(ctx, q, { ...b, summary: 'count', total: 'accurate' })).total ?? 0;
  // Outside a transaction the counts can go out together (a PostgreSQL pool runs them side by side);
  // inside one they share its single connection.
  const counts: number[] = [];
  if (inTransaction) for (const b of plan) counts.push(await countOf(b));
  else counts.push(...(await Promise.all(plan.map(countOf))));
  const total = counts.reduce((a, b) => a + b, 0);
  const matches: SearchRow[] = [];
  let skip = offset;
  for (let i = 0; i < plan.length && matches.length < count; i++) {
    if (skip >= counts[i]) {
      skip -= counts[i];
      continue;
    }
    const page = await executeSearch(ctx, q, { ...plan[i], offset: skip, count: count - matches.length, total: 'none' });
    matches.push(...page.matches);
    skip = 0;
  }
  return { matches, total };
}

/** One branch per compartment type (the Patient itself by _id), each limited by _since. */
function branches(ctx: HubContext, patientId: string, p: EverythingParams): SearchQuery[] {
  const since: [string, string][] = p.since ? [['_lastUpdated', `ge${p.since}`]] : [];
  const wanted = (type: string) => !p.types || p.types.includes(type);
  const out: SearchQuery[] = [];
  if (wanted('Patient')) out.push(parseFor(ctx, 'Patient', [['_id', patientId], ...since]));
  for (const type of compartmentMembers('Patient').filter(wanted)) {
    const params = compartmentParams('Patient', type)!;
    out.push({ ...parseFor(ctx, type, since), compartment: { type: 'Patient', id: patientId, params } });
  }
  return out;
}

export async function patientEverythingOperation(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const id = req.path[1];
  assertId(id);
  const p = readParams(ctx, req);
  const q = tx ?? ctx.db;
  if ((await searchAll(ctx, q, 'Patient', [['_id', id]])).length === 0) throw errors.notFound(`Patient/${id} is not known`);
  const plan = branches(ctx, id, p);
  if (plan.length === 0) throw errors.badRequest('_type names no type of the Patient compartment: $everything starts from the compartment', '_type', 'HUB-0426');
  const canonical: [string, string][] = [];
  if (p.since) canonical.push(['_since', p.since]);
  if (p.types) canonical.push(['_type', p.types.join(',')]);
  const { matches, total } = await cutPage(ctx, q, plan, p.offset, p.count, tx !== undefined);
  const result = { matches, total, hasMore: p.offset + p.count < total };
  // Referenced resources outside the compartment ride along with the page that references them (mode include).
  const outside = (type: string) => type !== 'Patient' && !compartmentParams('Patient', type) && (!p.types || p.types.includes(type));
  const included = await referencedRows(ctx, q, result.matches, outside);
  const base = ctx.config.baseUrl;
  const entries: BundleEntryText[] = [
    ...result.matches.map((m) => ({ fullUrl: `${base}/${m.resType}/${m.id}`, content: m.content, search: { mode: 'match' as const } })),
    ...included.map((m) => ({ fullUrl: `${base}/${m.resType}/${m.id}`, content: m.content, search: { mode: 'include' as const } })),
  ];
  const links = pageLinks(`${base}/Patient/${encodeURIComponent(id)}/$everything`, canonical, p.offset, p.count, result.hasMore);
  return { status: 200, json: bundleText('searchset', links, entries, result.total), headers: {} };
}

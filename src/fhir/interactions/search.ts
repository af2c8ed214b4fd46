// search (FHIR R4 §3.1.0.9, §3.1.1): type-level, system-level (_type) and compartment, GET or POST _search.
import type { Queryable } from '../../store/db';
import { bundleText, pageLinks, type BundleEntryText } from '../bundle/searchset';
import { resourceTypes } from '../definitions';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import { preferLenient, type FhirRequest, type FhirResponse } from '../request';
import { compartmentParams, isCompartmentType } from '../search/compartments';
import { executeSearch } from '../search/execute';
import { CONTROL_PARAMS, parseSearch, type SearchQuery } from '../search/parse';
import { assertId, assertResourceType } from './body';

function parse(ctx: HubContext, req: FhirRequest, type: string, params = req.params): SearchQuery {
  return parseSearch(ctx.registry, type, params, {
    lenient: preferLenient(req),
    defaultCount: ctx.config.defaultPageSize,
    maxCount: ctx.config.maxPageSize,
  });
}

async function answer(ctx: HubContext, query: SearchQuery, selfPath: string, tx?: Queryable): Promise<FhirResponse> {
  const result = await executeSearch(ctx, tx ?? ctx.db, query);
  const base = ctx.config.baseUrl;
  const entries: BundleEntryText[] = [
    ...result.matches.map((m) => ({ fullUrl: `${base}/${m.resType}/${m.id}`, content: m.content, search: { mode: 'match' as const } })),
    ...result.included.map((m) => ({ fullUrl: `${base}/${m.resType}/${m.id}`, content: m.content, search: { mode: 'include' as const } })),
  ];
  const links = pageLinks(`${base}${selfPath}`, query.canonicalParams, query.offset, query.count, result.hasMore);
  const json = bundleText('searchset', links, entries, result.total, { summary: query.summary, elements: query.elements });
  return { status: 200, json, headers: {} };
}

export async function searchType(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const [type] = req.path;
  assertResourceType(type);
  return answer(ctx, parse(ctx, req, type), `/${type}`, tx);
}

/** Resource-level parameters that mean the same on every type; a system search without _type takes only these. */
const ANY_TYPE_PARAMS = new Set(['_id', '_lastUpdated']);

export async function searchSystem(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const typeParam = req.params.filter(([k]) => k === '_type').flatMap(([, v]) => v.split(','));
  const params = req.params.filter(([k]) => k !== '_type');
  for (const t of typeParam) if (!resourceTypes().has(t)) throw errors.badRequest(`_type: unknown resource type "${t}"`, '_type', 'HUB-0426');
  if (typeParam.length === 0) {
    const specific = params.find(([k]) => !ANY_TYPE_PARAMS.has(k.split(':')[0]) && !CONTROL_PARAMS.has(k));
    if (specific) throw errors.badRequest(`System search without _type takes only _id and _lastUpdated; "${specific[0]}" needs _type`, specific[0], 'HUB-0426');
    const query = parse(ctx, req, 'Patient', params);
    return answer(ctx, { ...query, resourceType: '' }, '', tx);
  }
  const [first, ...rest] = [...new Set(typeParam)].map((t) => parse(ctx, req, t, params));
  const query: SearchQuery = { ...first, union: rest, canonicalParams: [['_type', typeParam.join(',')], ...first.canonicalParams] };
  return answer(ctx, query, '', tx);
}

/** GET /Patient/123/Observation: a type search restricted to the compartment (§3.1.0.9.4). */
export async function searchCompartment(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const [compartment, id, type] = req.path;
  if (!isCompartmentType(compartment)) throw errors.notFound(`There is no ${compartment} compartment; the hub has the Patient compartment`);
  assertId(id);
  assertResourceType(type);
  const params = compartmentParams(compartment, type);
  if (!params) throw errors.badRequest(`${type} resources are not in the ${compartment} compartment`, undefined, 'HUB-0426');
  const query = { ...parse(ctx, req, type), compartment: { type: compartment, id, params } };
  return answer(ctx, query, `/${compartment}/${id}/${type}`, tx);
}

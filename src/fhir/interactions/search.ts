// search (FHIR R4 §3.1.0.9, §3.1.1): type-level and system-level, GET or POST _search.
import type { Queryable } from '../../store/db';
import { bundleText, pageLinks, type BundleEntryText } from '../bundle/searchset';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import { preferLenient, type FhirRequest, type FhirResponse } from '../request';
import { executeSearch } from '../search/execute';
import { parseSearch } from '../search/parse';
import { assertResourceType } from './body';

export async function searchType(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const [type] = req.path;
  assertResourceType(type);
  const query = parseSearch(ctx.registry, type, req.params, {
    lenient: preferLenient(req),
    defaultCount: ctx.config.defaultPageSize,
    maxCount: ctx.config.maxPageSize,
  });
  const result = await executeSearch(ctx, tx ?? ctx.db, query);
  const base = ctx.config.baseUrl;
  const entries: BundleEntryText[] = [
    ...result.matches.map((m) => ({ fullUrl: `${base}/${m.resType}/${m.id}`, content: m.content, search: { mode: 'match' as const } })),
    ...result.included.map((m) => ({ fullUrl: `${base}/${m.resType}/${m.id}`, content: m.content, search: { mode: 'include' as const } })),
  ];
  const links = pageLinks(`${base}/${type}`, query.canonicalParams, query.offset, query.count, result.hasMore);
  const json = bundleText('searchset', links, entries, result.total, { summary: query.summary, elements: query.elements });
  return { status: 200, json, headers: {} };
}

export async function searchSystem(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const types = req.params.find(([k]) => k === '_type')?.[1];
  if (!types) throw errors.badRequest('System search needs _type (e.g. _type=Patient,Practitioner)', '_type', 'HUB-0426');
  const list = types.split(',');
  if (list.length !== 1) throw errors.notSupported('System search over several types is not supported yet; give one _type');
  return searchType(ctx, { ...req, path: [list[0]], params: req.params.filter(([k]) => k !== '_type') }, tx);
}

// SearchParameters written to the hub (FHIR R4 §3.1.1, custom parameters): checked on write, added to the
// hub's registry, and loaded from the database at start-up. Stored resources need `fhir-hub reindex`.
import type { Resource, SearchParameter } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import { resourceTypes } from '../definitions';
import { errors } from '../errors';
import { packageOrigin } from '../package-origin';
import { SearchParamRegistry } from './registry';

export function checkSearchParameter(resource: Resource): void {
  if (resource.resourceType !== 'SearchParameter') return;
  const problem = SearchParamRegistry.problem(resource, resourceTypes());
  if (problem) throw errors.unprocessableText(`This SearchParameter cannot be used for search: ${problem}`, 'SearchParameter');
}

export function registerSearchParameter(registry: SearchParamRegistry, resource: Resource): void {
  if (resource.resourceType !== 'SearchParameter' || (resource as SearchParameter).status === 'retired') return;
  registry.add(resource as SearchParameter);
}

export async function loadStoredSearchParameters(q: Queryable, registry: SearchParamRegistry): Promise<number> {
  const r = await q.query<{ content: string }>("SELECT content FROM resource WHERE res_type = 'SearchParameter' AND NOT deleted ORDER BY rid");
  // Those stored from FHIR packages are served, not searched by (see fhir/package-resources.ts).
  for (const row of r.rows) {
    const sp = JSON.parse(row.content) as Resource;
    if (!packageOrigin(sp)) registerSearchParameter(registry, sp);
  }
  return r.rows.length;
}

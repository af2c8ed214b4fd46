// Loads resources into a test hub through a transaction of PUTs, so tests know every id.
import type { Resource } from '@medplum/fhirtypes';
import type { TestHub } from './test-hub';

export async function seed(t: TestHub, resources: Resource[]): Promise<void> {
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } })),
  };
  const res = await t.api.post('/fhir').set('Content-Type', 'application/fhir+json').send(JSON.stringify(bundle));
  if (res.status !== 200) throw new Error(`seed failed: ${res.status} ${res.text.slice(0, 500)}`);
}

/** The ids of the matches of a search, in order; fails the test on a non-200 answer. */
export async function searchIds(t: TestHub, query: string): Promise<string[]> {
  const res = await t.api.get(`/fhir/${query}`);
  if (res.status !== 200) throw new Error(`GET ${query} → ${res.status}: ${res.text.slice(0, 400)}`);
  return (res.body.entry ?? []).filter((e: { search?: { mode: string } }) => e.search?.mode !== 'include').map((e: { resource: Resource }) => e.resource.id);
}

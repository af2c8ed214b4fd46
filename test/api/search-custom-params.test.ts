// Custom SearchParameters (FHIR R4 §3.1.1): written through the API, searchable for new writes at once
// and for stored resources after reindex; kept across a restart; invalid ones refused.
import type { Resource } from '@medplum/fhirtypes';
import { reindex } from '../../src/fhir/reindex';
import { openHub } from '../../src/hub';
import { searchIds, seed } from '../support/seed';
import { startTestHub, type TestHub } from '../support/test-hub';

const EXT = 'https://fhir-hub.fr/StructureDefinition/cpts-membership';
let t: TestHub;

function patient(id: string, cpts?: string): Resource {
  return { resourceType: 'Patient', id, ...(cpts ? { extension: [{ url: EXT, valueString: cpts }] } : {}) } as Resource;
}

const searchParameter = {
  resourceType: 'SearchParameter',
  id: 'patient-cpts',
  url: 'https://fhir-hub.fr/SearchParameter/patient-cpts',
  name: 'cpts',
  status: 'active',
  description: 'The CPTS a patient is followed by',
  code: 'cpts',
  base: ['Patient'],
  type: 'string',
  expression: `Patient.extension.where(url = '${EXT}').value`,
};

beforeAll(async () => {
  t = await startTestHub();
  await seed(t, [patient('before-1', 'Val de Loire'), patient('before-2', 'Sologne'), patient('before-3')]);
});
afterAll(async () => t.close());

describe('a custom SearchParameter', () => {
  it('is unknown before it is written', async () => {
    expect((await t.api.get('/fhir/Patient?cpts=val')).status).toBe(400);
  });

  it('indexes new writes at once, stored resources after reindex', async () => {
    const put = await t.api.put('/fhir/SearchParameter/patient-cpts').set('Content-Type', 'application/fhir+json').send(JSON.stringify(searchParameter));
    expect(put.status).toBe(201);
    await seed(t, [patient('after-1', 'Val de Loire')]);
    expect(await searchIds(t, 'Patient?cpts=val')).toEqual(['after-1']);
    const progress: number[] = [];
    const count = await reindex(t.ctx, ['Patient'], (p) => progress.push(p.done));
    expect(count).toBe(4);
    expect(progress[progress.length - 1]).toBe(4);
    expect((await searchIds(t, 'Patient?cpts=val&_sort=_id'))).toEqual(['after-1', 'before-1']);
    expect(await searchIds(t, 'Patient?cpts:missing=true')).toEqual(['before-3']);
  });

  it('is loaded again by a hub that starts on the same database', async () => {
    const second = await openHub(t.ctx.config, t.testDb.db);
    expect(second.ctx.registry.get('Patient', 'cpts')?.type).toBe('string');
    // The registries are per hub: the base one is not touched.
    expect(second.ctx.registry.get('Practitioner', 'cpts')).toBeUndefined();
  });

  it('refuses a SearchParameter the hub could not index, with 422', async () => {
    const bad = { ...searchParameter, id: 'bad', code: 'bad', expression: 'Observation.code' };
    const res = await t.api.put('/fhir/SearchParameter/bad').set('Content-Type', 'application/fhir+json').send(JSON.stringify(bad));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toContain('does not apply to Patient');
    expect((await t.api.get('/fhir/SearchParameter/bad')).status).toBe(404);
    const noBase = { ...searchParameter, id: 'bad2', base: ['Nothing'] };
    const res2 = await t.api.put('/fhir/SearchParameter/bad2').set('Content-Type', 'application/fhir+json').send(JSON.stringify(noBase));
    expect(res2.status).toBe(422);
    expect(JSON.stringify(res2.body.issue)).toContain('base');
  });

  it('reindexes while writes go on, losing none of them', async () => {
    const writes = Array.from({ length: 30 }, (_, i) =>
      t.api.put(`/fhir/Patient/concurrent-${i}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify(patient(`concurrent-${i}`, 'Val de Loire'))),
    );
    const [count] = await Promise.all([reindex(t.ctx, ['Patient']), ...writes]);
    expect(count).toBeGreaterThanOrEqual(4);
    const res = await t.api.get('/fhir/Patient?cpts=val&_summary=count');
    expect(res.body.total).toBe(32);
  });
});

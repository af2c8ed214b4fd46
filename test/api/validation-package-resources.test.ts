// Conformance resources of the loaded FHIR packages (issue 4, point 5): stored once per package version,
// searchable by url, name and version, read-only (405); clients' own SearchParameters still work.
import { openHub } from '../../src/hub';
import { createResource, issues, patchJson, postJson, putJson } from '../support/fhir-api';
import { startTestHub, type TestHub } from '../support/test-hub';

jest.setTimeout(120_000);

const FR_CORE_PATIENT = 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient';
let t: TestHub;
beforeAll(async () => {
  t = await startTestHub({ PACKAGE_RESOURCES: 'on' });
});
afterAll(async () => t.close());

async function frCorePatient(version: string) {
  const res = await t.api.get(`/fhir/StructureDefinition?url=${encodeURIComponent(FR_CORE_PATIENT)}&version=${version}`);
  expect(res.status).toBe(200);
  expect(res.body.total).toBe(1);
  return res.body.entry[0].resource;
}

describe('package conformance resources', () => {
  it('are found by url: the FR Core patient profile of each FR Core version held', async () => {
    const res = await t.api.get(`/fhir/StructureDefinition?url=${encodeURIComponent(FR_CORE_PATIENT)}&_elements=version`);
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: { resource: { version: string } }) => e.resource.version).sort()).toEqual(['2.0.1', '2.1.0', '2.2.0']);
  });

  it('are found by url and version, by name, and carry their origin', async () => {
    const sd = await frCorePatient('2.2.0');
    expect(sd.meta.tag).toContainEqual({ system: 'https://fhir-hub.fr/CodeSystem/origin', code: 'package', display: 'hl7.fhir.fr.core#2.2.0' });
    expect(sd.snapshot.element.length).toBeGreaterThan(10);
    const byName = await t.api.get(`/fhir/StructureDefinition?name=${sd.name}&version=2.2.0`);
    expect(byName.body.entry.map((e: { resource: { url: string } }) => e.resource.url)).toContain(FR_CORE_PATIENT);
    const hub = await t.api.get('/fhir/StructureDefinition?url=https://fhir-hub.fr/ig/StructureDefinition/fhir-hub-careteam');
    expect(hub.body.total).toBe(1);
  });

  it('include ValueSets, CodeSystems, SearchParameters and ImplementationGuides', async () => {
    for (const type of ['ValueSet', 'CodeSystem', 'SearchParameter', 'ImplementationGuide']) {
      const res = await t.api.get(`/fhir/${type}?_summary=count`);
      expect([type, res.body.total > 0]).toEqual([type, true]);
    }
    const ig = await t.api.get('/fhir/ImplementationGuide?url=https://hl7.fr/ig/fhir/core/ImplementationGuide/hl7.fhir.fr.core&version=2.1.0');
    expect(ig.body.total).toBe(1);
  });

  it('refuse PUT, PATCH and DELETE with 405 and an OperationOutcome', async () => {
    const sd = await frCorePatient('2.1.0');
    const put = await putJson(t, `/fhir/StructureDefinition/${sd.id}`, { ...sd, title: 'changed' });
    expect(put.status).toBe(405);
    expect(issues(put.body)[0].diagnostics).toContain('hl7.fhir.fr.core#2.1.0');
    expect((await patchJson(t, `/fhir/StructureDefinition/${sd.id}`, [{ op: 'replace', path: '/title', value: 'changed' }])).status).toBe(405);
    const del = await t.api.delete(`/fhir/StructureDefinition/${sd.id}`);
    expect(del.status).toBe(405);
    expect(issues(del.body)[0].code).toBe('not-supported');
    const conditional = await t.api.delete(`/fhir/StructureDefinition?url=${encodeURIComponent(FR_CORE_PATIENT)}&version=2.1.0`);
    expect(conditional.status).toBe(405);
    const inTransaction = await postJson(t, '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'DELETE', url: `StructureDefinition/${sd.id}` } }] });
    expect(inTransaction.status).toBe(405);
    expect((await frCorePatient('2.1.0')).meta.versionId).toBe('1');
  });

  it('$validate mode=delete says a package resource cannot be deleted', async () => {
    const sd = await frCorePatient('2.0.1');
    const res = await postJson(t, `/fhir/StructureDefinition/${sd.id}/$validate?mode=delete`, { resourceType: 'Parameters' });
    expect(res.status).toBe(200);
    expect(issues(res.body).filter((i) => i.severity === 'error').map((i) => i.code)).toEqual(['business-rule']);
  });

  it('cannot be imitated: a client resource may not carry the origin tag', async () => {
    const fake = { resourceType: 'ValueSet', status: 'draft', meta: { tag: [{ system: 'https://fhir-hub.fr/CodeSystem/origin', code: 'package', display: 'x#1' }] } };
    expect((await postJson(t, '/fhir/ValueSet', fake)).status).toBe(422);
  });

  it('leave clients free to write their own conformance resources and SearchParameters', async () => {
    const id = await createResource(t, { resourceType: 'ValueSet', status: 'draft', url: 'https://ehr.example.fr/ValueSet/mine' });
    expect((await putJson(t, `/fhir/ValueSet/${id}`, { resourceType: 'ValueSet', id, status: 'active', url: 'https://ehr.example.fr/ValueSet/mine' })).status).toBe(200);
    expect((await t.api.delete(`/fhir/ValueSet/${id}`)).status).toBe(204);
    const sp = { resourceType: 'SearchParameter', url: 'https://ehr.example.fr/SearchParameter/nick', name: 'nick', status: 'active', description: 'Nickname', code: 'nick', base: ['Patient'], type: 'string', expression: "Patient.name.where(use = 'nickname').given" };
    expect((await postJson(t, '/fhir/SearchParameter', sp)).status).toBe(201);
    expect((await t.api.get('/fhir/Patient?nick=jo')).status).toBe(200);
  });

  it('are stored once per package version: a second start writes nothing; their new search codes are searchable, redefined base codes are not', async () => {
    const count = async () => Number((await t.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource_history')).rows[0].n);
    const before = await count();
    const second = await openHub(t.ctx.config, t.testDb.db);
    expect(await count()).toBe(before);
    // ans.fhir.fr.cds defines CareTeam?managingOrganization, a code base R4 lacks: served, and searchable.
    const sp = await t.api.get('/fhir/SearchParameter?code=managingOrganization&base=CareTeam');
    expect(sp.body.total).toBeGreaterThan(0);
    expect(second.ctx.registry.get('CareTeam', 'managingOrganization')?.url).toBe(sp.body.entry[0].resource.url);
    expect((await t.api.get('/fhir/CareTeam?managingOrganization=Organization/x')).status).toBe(200);
    // ans.fhir.fr.gap redefines Slot?start: the base R4 definition stays.
    expect(second.ctx.registry.get('Slot', 'start')?.url).toBe('http://hl7.org/fhir/SearchParameter/Slot-start');
  });
});

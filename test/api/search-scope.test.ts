// Where a search runs: system search with _type, compartments, and _include/_revinclude with :iterate.
import type { Resource } from '@medplum/fhirtypes';
import { searchIds, seed } from '../support/seed';
import { startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;

const resources: Resource[] = [
  { resourceType: 'Organization', id: 'org-cpts', name: 'CPTS Val de Loire' },
  { resourceType: 'Organization', id: 'org-msp', name: 'MSP Centre', partOf: { reference: 'Organization/org-cpts' } },
  { resourceType: 'Practitioner', id: 'pr-1', name: [{ family: 'Bernard' }] },
  { resourceType: 'PractitionerRole', id: 'role-1', practitioner: { reference: 'Practitioner/pr-1' }, organization: { reference: 'Organization/org-msp' } },
  { resourceType: 'Patient', id: 'pa-1', name: [{ family: 'Lefebvre' }], generalPractitioner: [{ reference: 'PractitionerRole/role-1' }] },
  { resourceType: 'Patient', id: 'pa-2', name: [{ family: 'Moreau' }] },
  { resourceType: 'Observation', id: 'ob-1', status: 'final', code: { text: 'poids' }, subject: { reference: 'Patient/pa-1' } },
  { resourceType: 'Observation', id: 'ob-2', status: 'final', code: { text: 'taille' }, subject: { reference: 'Patient/pa-2' } },
  { resourceType: 'Condition', id: 'co-1', subject: { reference: 'Patient/pa-1' }, code: { text: 'BPCO' } },
] as Resource[];

beforeAll(async () => {
  t = await startTestHub();
  await seed(t, resources);
});
afterAll(async () => t.close());

describe('system search', () => {
  it('searches several types with _type and a shared parameter', async () => {
    const ids = await searchIds(t, '?_type=Patient,Organization&_sort=_id');
    expect(ids).toEqual(['org-cpts', 'org-msp', 'pa-1', 'pa-2']);
    expect(await searchIds(t, '?_type=Patient,Practitioner&name=bernard,moreau&_sort=_id')).toEqual(['pa-2', 'pr-1']);
  });

  it('searches every type by _id without _type, and refuses other parameters without it', async () => {
    expect(await searchIds(t, '?_id=pa-1,org-msp&_sort=_id')).toEqual(['org-msp', 'pa-1']);
    const res = await t.api.get('/fhir?name=x');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['name']);
  });

  it('refuses an unknown _type', async () => {
    expect((await t.api.get('/fhir?_type=Nothing')).status).toBe(400);
  });
});

describe('compartment search', () => {
  it('returns the resources of the patient compartment', async () => {
    expect(await searchIds(t, 'Patient/pa-1/Observation')).toEqual(['ob-1']);
    expect(await searchIds(t, 'Patient/pa-1/Condition')).toEqual(['co-1']);
    expect(await searchIds(t, 'Patient/pa-2/Condition')).toEqual([]);
  });

  it('combines the compartment with criteria', async () => {
    expect(await searchIds(t, 'Patient/pa-1/Observation?code:text=taille')).toEqual([]);
    expect(await searchIds(t, 'Patient/pa-2/Observation?code:text=taille')).toEqual(['ob-2']);
  });

  it('refuses unknown compartments and types outside the compartment', async () => {
    expect((await t.api.get('/fhir/Nothing/1/Observation')).status).toBe(404);
    expect((await t.api.get('/fhir/Patient/pa-1/Organization')).status).toBe(400);
  });
});

describe('_include and _revinclude', () => {
  async function included(query: string): Promise<string[]> {
    const res = await t.api.get(`/fhir/${query}`);
    expect(res.status).toBe(200);
    return res.body.entry
      .filter((e: { search: { mode: string } }) => e.search.mode === 'include')
      .map((e: { resource: Resource }) => `${e.resource.resourceType}/${e.resource.id}`)
      .sort();
  }

  it('includes referenced resources once', async () => {
    expect(await included('Observation?_include=Observation:subject')).toEqual(['Patient/pa-1', 'Patient/pa-2']);
  });

  it('follows :iterate through several levels', async () => {
    expect(await included('Patient?_id=pa-1&_include=Patient:general-practitioner&_include=PractitionerRole:organization')).toEqual(['PractitionerRole/role-1']);
    expect(await included('Patient?_id=pa-1&_include=Patient:general-practitioner&_include:iterate=PractitionerRole:organization')).toEqual([
      'Organization/org-msp',
      'PractitionerRole/role-1',
    ]);
    expect(await included('Patient?_id=pa-1&_include=Patient:general-practitioner&_include=PractitionerRole:organization:iterate')).toEqual([
      'Organization/org-msp',
      'PractitionerRole/role-1',
    ]);
    expect(
      await included('Patient?_id=pa-1&_include=Patient:general-practitioner&_include=PractitionerRole:organization:iterate&_include=Organization:partof:iterate'),
    ).toEqual(['Organization/org-cpts', 'Organization/org-msp', 'PractitionerRole/role-1']);
  });

  it('revincludes and includes every reference with *', async () => {
    expect(await included('Patient?_id=pa-1&_revinclude=Observation:subject&_revinclude=Condition:subject')).toEqual(['Condition/co-1', 'Observation/ob-1']);
    expect(await included('PractitionerRole?_include=*')).toEqual(['Organization/org-msp', 'Practitioner/pr-1']);
  });

  it('refuses an include through a parameter that is not a reference', async () => {
    const res = await t.api.get('/fhir/Observation?_include=Observation:code');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['_include']);
  });
});

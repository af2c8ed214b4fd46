// Chaining and reverse chaining (FHIR R4 §3.1.1.4.13-14), on both engines.
import type { Resource } from '@medplum/fhirtypes';
import { searchIds, seed } from '../support/seed';
import { startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
const RPPS = 'https://rpps.esante.gouv.fr';

const resources: Resource[] = [
  { resourceType: 'Organization', id: 'msp-loire', name: 'MSP des bords de Loire' },
  { resourceType: 'Practitioner', id: 'dr-roux', name: [{ family: 'Roux', given: ['Claire'] }], identifier: [{ system: RPPS, value: '10101010101' }] },
  { resourceType: 'Practitioner', id: 'dr-petit', name: [{ family: 'Petit', given: ['Marc'] }] },
  { resourceType: 'Patient', id: 'p-dupont', name: [{ family: 'Dupont', given: ['Jeanne'] }], generalPractitioner: [{ reference: 'Practitioner/dr-roux' }], managingOrganization: { reference: 'Organization/msp-loire' } },
  { resourceType: 'Patient', id: 'p-durand', name: [{ family: 'Durand', given: ['Louis'] }], generalPractitioner: [{ reference: 'Practitioner/dr-petit' }] },
  { resourceType: 'Patient', id: 'p-martin', name: [{ family: 'Martin', given: ['Hélène'] }] },
  obs('o-1', 'p-dupont', '8867-4', 72),
  obs('o-2', 'p-dupont', '8480-6', 130),
  obs('o-3', 'p-durand', '8867-4', 90),
  { resourceType: 'Encounter', id: 'e-1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p-dupont' } },
  { resourceType: 'Encounter', id: 'e-2', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p-durand' } },
];

function obs(id: string, patient: string, code: string, value: number): Resource {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${patient}` },
    valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  } as Resource;
}

beforeAll(async () => {
  t = await startTestHub();
  await seed(t, resources);
});
afterAll(async () => t.close());

describe('chaining', () => {
  it('follows a reference with an explicit type', async () => {
    expect((await searchIds(t, 'Observation?subject:Patient.name=dupont&_sort=_id'))).toEqual(['o-1', 'o-2']);
  });

  it('follows a reference to every target type that has the parameter', async () => {
    expect((await searchIds(t, 'Observation?subject.name=durand'))).toEqual(['o-3']);
  });

  it('chains over two levels', async () => {
    expect(await searchIds(t, 'Encounter?patient.general-practitioner.name=roux')).toEqual(['e-1']);
    expect(await searchIds(t, 'Observation?subject:Patient.general-practitioner:Practitioner.identifier=https://rpps.esante.gouv.fr|10101010101&_sort=_id')).toEqual(['o-1', 'o-2']);
  });

  it('combines a chain with a plain parameter (AND)', async () => {
    expect(await searchIds(t, 'Observation?subject:Patient.name=dupont&code=8480-6')).toEqual(['o-2']);
  });

  it('refuses a chain through a parameter that is not a reference', async () => {
    const res = await t.api.get('/fhir/Observation?code.name=x');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['code.name']);
  });

  it('refuses a chain to a parameter no target type has', async () => {
    const res = await t.api.get('/fhir/Observation?subject:Patient.nonsense=x');
    expect(res.status).toBe(400);
  });
});

describe('reverse chaining (_has)', () => {
  it('finds patients with an observation of a code', async () => {
    expect(await searchIds(t, 'Patient?_has:Observation:patient:code=8867-4&_sort=_id')).toEqual(['p-dupont', 'p-durand']);
    expect(await searchIds(t, 'Patient?_has:Observation:patient:code=8480-6')).toEqual(['p-dupont']);
  });

  it('nests _has', async () => {
    // Practitioners who are the GP of a patient who has an observation 8480-6.
    expect(await searchIds(t, 'Practitioner?_has:Patient:general-practitioner:_has:Observation:patient:code=8480-6')).toEqual(['dr-roux']);
  });

  it('combines _has with a chain inside', async () => {
    expect(await searchIds(t, 'Patient?_has:Encounter:subject:subject.name=durand')).toEqual(['p-durand']);
  });

  it('refuses a malformed _has', async () => {
    expect((await t.api.get('/fhir/Patient?_has:Observation:code=1')).status).toBe(400);
    expect((await t.api.get('/fhir/Patient?_has:Nothing:patient:code=1')).status).toBe(400);
    expect((await t.api.get('/fhir/Patient?_has:Observation:code:code=1')).status).toBe(400);
  });
});

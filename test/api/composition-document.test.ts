// Composition/$document (issue 7, point 4): the document Bundle of a stored Composition — the Composition, then
// every resource it references (custodian and section entries included) — and its storage with persist=true.
import { createResource } from '../support/fhir-api';
import { BASE, startTestHub, type TestHub } from '../support/test-hub';

jest.setTimeout(120_000);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: TestHub;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestHub();
  ids.org = await createResource(t, { resourceType: 'Organization', name: 'CH de Val-de-Loire' });
  ids.gp = await createResource(t, { resourceType: 'Practitioner', name: [{ family: 'Morel' }] });
  ids.patient = await createResource(t, { resourceType: 'Patient', name: [{ family: 'Petit' }] });
  ids.medication = await createResource(t, { resourceType: 'Medication', code: { text: 'Furosémide 40 mg' } });
  ids.condition = await createResource(t, { resourceType: 'Condition', subject: { reference: `Patient/${ids.patient}` }, code: { text: 'Insuffisance cardiaque' } });
  ids.request = await createResource(t, { resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: `Patient/${ids.patient}` }, medicationReference: { reference: `Medication/${ids.medication}` }, requester: { reference: `Practitioner/${ids.gp}` } });
  ids.composition = await createResource(t, {
    resourceType: 'Composition',
    status: 'final',
    type: { coding: [{ system: 'http://loinc.org', code: '34133-9', display: 'Summary of episode note' }] },
    subject: { reference: `Patient/${ids.patient}` },
    date: '2026-11-20T10:00:00Z',
    author: [{ reference: `Practitioner/${ids.gp}` }],
    custodian: { reference: `${BASE}/Organization/${ids.org}` },
    title: 'Lettre de liaison de sortie',
    section: [
      { title: 'Diagnostics', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">IC</div>' }, entry: [{ reference: `Condition/${ids.condition}` }] },
      { title: 'Traitements de sortie', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Furosémide</div>' }, entry: [{ reference: `MedicationRequest/${ids.request}` }] },
    ],
  });
});
afterAll(async () => t.close());

const types = (body: Json) => ((body.entry ?? []) as Json[]).map((e) => `${e.resource.resourceType}/${e.resource.id}`);

describe('Composition/$document', () => {
  it('answers the Composition first, then every resource it references, each at its URL', async () => {
    const res = await t.api.get(`/fhir/Composition/${ids.composition}/$document`);
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('Bundle');
    expect(res.body.type).toBe('document');
    expect(res.body.identifier.value).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(res.body.timestamp))).toBe(false);
    expect(res.body.entry[0].fullUrl).toBe(`${BASE}/Composition/${ids.composition}`);
    expect(types(res.body).sort()).toEqual(
      [`Composition/${ids.composition}`, `Patient/${ids.patient}`, `Practitioner/${ids.gp}`, `Organization/${ids.org}`, `Condition/${ids.condition}`, `MedicationRequest/${ids.request}`, `Medication/${ids.medication}`].sort(),
    );
    for (const e of res.body.entry as Json[]) expect(e.fullUrl).toBe(`${BASE}/${e.resource.resourceType}/${e.resource.id}`);
    // One version of the Composition, one document identifier.
    const again = await t.api.get(`/fhir/Composition/${ids.composition}/$document`);
    expect(again.body.identifier).toEqual(res.body.identifier);
  });

  it('unknown Composition: 404', async () => {
    const res = await t.api.get('/fhir/Composition/not-there/$document');
    expect(res.status).toBe(404);
    expect(res.body.issue[0].code).toBe('not-found');
  });

  it('persist=true stores it as a DocumentReference of the patient, with the Composition type', async () => {
    const res = await t.api.get(`/fhir/Composition/${ids.composition}/$document?persist=true`);
    expect(res.status).toBe(201);
    const location = res.headers.location as string;
    expect(location).toMatch(/\/DocumentReference\/[^/]+\/_history\/1$/);
    const found = await t.api.get(`/fhir/DocumentReference?patient=${ids.patient}&type=${encodeURIComponent('http://loinc.org|34133-9')}`);
    expect(found.body.total).toBe(1);
    const docRef = found.body.entry[0].resource;
    expect(location).toContain(docRef.id);
    const binary = await t.api.get(docRef.content[0].attachment.url.replace(BASE, '/fhir')).set('Accept', 'application/fhir+json');
    const stored = binary.body.resourceType === 'Binary' ? Buffer.from(binary.body.data, 'base64').toString('utf8') : binary.text;
    expect(JSON.parse(stored).entry[0].resource.id).toBe(ids.composition);
  });
});

// transaction (FHIR R4 §3.1.0.11.2): atomic, urn:uuid and conditional references, processing order,
// If-None-Exist / If-Match per entry, and a transaction-response with status, location and etag.
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { createResource, identifier, postJson, putJson, searchCount, tableCounts } from '../support/fhir-api';
import { startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
beforeAll(async () => (t = await startTestHub()));
afterAll(async () => t.close());

const SYS = 'https://hub.test/mrn';
const tx = (entry: BundleEntry[]): Bundle => ({ resourceType: 'Bundle', type: 'transaction', entry });
const post = (resource: object, fullUrl?: string, extra: object = {}): BundleEntry =>
  ({ fullUrl, resource, request: { method: 'POST', url: (resource as { resourceType: string }).resourceType, ...extra } }) as BundleEntry;

async function historyTotal(): Promise<number> {
  return (await t.api.get('/fhir/_history?_count=1')).body.total;
}

describe('atomicity', () => {
  it('a transaction whose 5th entry is invalid leaves the database exactly as before', async () => {
    const keep = await createResource(t, { resourceType: 'Patient', name: [{ family: 'Keep' }] });
    const gone = await createResource(t, { resourceType: 'Patient', name: [{ family: 'Gone' }] });
    const before = await tableCounts(t);
    const historyBefore = await historyTotal();
    const res = await postJson(t, '/fhir', tx([
      { request: { method: 'DELETE', url: `Patient/${gone}` } },
      post({ resourceType: 'Patient', identifier: [identifier('atom-1')] }, 'urn:uuid:0b0e3c6e-0000-4000-8000-000000000001'),
      { resource: { resourceType: 'Patient', id: keep, name: [{ family: 'Changed' }] }, request: { method: 'PUT', url: `Patient/${keep}` } },
      post({ resourceType: 'Observation', status: 'final', code: { text: 'poids' }, subject: { reference: 'urn:uuid:0b0e3c6e-0000-4000-8000-000000000001' } }),
      post({ resourceType: 'Patient', birthDate: 'not-a-date' }),
    ]));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? [])).toContain('Bundle.entry[4].resource.birthDate');
    expect(await tableCounts(t)).toEqual(before);
    expect(await historyTotal()).toBe(historyBefore);
    expect((await t.api.get(`/fhir/Patient/${gone}`)).status).toBe(200);
    expect((await t.api.get(`/fhir/Patient/${keep}`)).body.name[0].family).toBe('Keep');
    expect(await searchCount(t, 'Patient', `identifier=${SYS}|atom-1`)).toBe(0);
  });

  it('a transaction whose 5th entry fails its If-Match leaves the database exactly as before', async () => {
    const target = await createResource(t, { resourceType: 'Patient', name: [{ family: 'Target' }] });
    const before = await tableCounts(t);
    const res = await postJson(t, '/fhir', tx([
      post({ resourceType: 'Patient', identifier: [identifier('atom-2')] }),
      post({ resourceType: 'Patient', identifier: [identifier('atom-2')] }),
      post({ resourceType: 'Organization', name: 'MSP des Lilas' }),
      post({ resourceType: 'Practitioner', name: [{ family: 'Petit' }] }),
      { resource: { resourceType: 'Patient', id: target, active: true }, request: { method: 'PUT', url: `Patient/${target}`, ifMatch: 'W/"9"' } },
    ]));
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(await tableCounts(t)).toEqual(before);
    expect((await t.api.get(`/fhir/Patient/${target}`)).body.meta.versionId).toBe('1');
  });

  it('refuses a reference to a urn:uuid that no entry defines, writing nothing', async () => {
    const before = await tableCounts(t);
    const res = await postJson(t, '/fhir', tx([
      post({ resourceType: 'Patient' }, 'urn:uuid:0b0e3c6e-0000-4000-8000-0000000000aa'),
      post({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:0b0e3c6e-0000-4000-8000-0000000000bb' } }),
    ]));
    expect(res.status).toBe(400);
    expect(res.body.issue.some((i: { expression?: string[] }) => i.expression?.[0]?.startsWith('Bundle.entry[1]'))).toBe(true);
    expect(await tableCounts(t)).toEqual(before);
  });

  it('refuses two entries that change the same resource', async () => {
    const id = await createResource(t, { resourceType: 'Patient' });
    const res = await postJson(t, '/fhir', tx([
      { resource: { resourceType: 'Patient', id, active: true }, request: { method: 'PUT', url: `Patient/${id}` } },
      { request: { method: 'DELETE', url: `Patient/${id}` } },
    ]));
    expect(res.status).toBe(400);
    expect((await t.api.get(`/fhir/Patient/${id}`)).body.meta.versionId).toBe('1');
  });

  it('refuses entries whose resolved identities overlap (conditional delete and update of one resource)', async () => {
    const id = await createResource(t, { resourceType: 'Patient', identifier: [identifier('overlap-1')] });
    const res = await postJson(t, '/fhir', tx([
      { request: { method: 'DELETE', url: `Patient?identifier=${SYS}|overlap-1` } },
      { resource: { resourceType: 'Patient', id, active: false }, request: { method: 'PUT', url: `Patient/${id}` } },
    ]));
    expect(res.status).toBe(400);
    expect(res.body.issue.some((i: { expression?: string[] }) => i.expression?.includes('Bundle.entry[1].request.url'))).toBe(true);
    expect((await t.api.get(`/fhir/Patient/${id}`)).body.meta.versionId).toBe('1');
  });

  it('runs a conditional delete and a conditional patch inside a transaction', async () => {
    const del = await createResource(t, { resourceType: 'Patient', identifier: [identifier('txcd-1')] });
    const pat = await createResource(t, { resourceType: 'Patient', identifier: [identifier('txcp-1')] });
    const patch = Buffer.from(JSON.stringify([{ op: 'add', path: '/active', value: true }])).toString('base64');
    const res = await postJson(t, '/fhir', tx([
      { request: { method: 'DELETE', url: `Patient?identifier=${SYS}|txcd-1` } },
      { resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: patch }, request: { method: 'PATCH', url: `Patient?identifier=${SYS}|txcp-1` } },
    ]));
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: BundleEntry) => e.response!.status)).toEqual(['204 No Content', '200 OK']);
    expect((await t.api.get(`/fhir/Patient/${del}`)).status).toBe(410);
    expect((await t.api.get(`/fhir/Patient/${pat}`)).body.active).toBe(true);
  });

  it('refuses an entry URL of another server or with a bad %-escape (400, not 500)', async () => {
    for (const url of ['http://other.example/fhir/Patient/1', 'Patient/%E0%A4%A']) {
      const res = await postJson(t, '/fhir', tx([{ request: { method: 'GET', url } }]));
      expect(res.status).toBe(400);
      expect(res.body.issue.some((i: { expression?: string[] }) => i.expression?.includes('Bundle.entry[0].request.url'))).toBe(true);
    }
  });
});

describe('references across entries', () => {
  it('resolves urn:uuid fullUrls to the ids the server assigns', async () => {
    const pat = 'urn:uuid:6f1c7a5e-2d2b-4b8e-9a57-1c1f0d3e0001';
    const enc = 'urn:uuid:6f1c7a5e-2d2b-4b8e-9a57-1c1f0d3e0002';
    const res = await postJson(t, '/fhir', tx([
      post({ resourceType: 'Observation', status: 'final', code: { text: 'tension' }, subject: { reference: pat }, encounter: { reference: enc } }),
      post({ resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: pat } }, enc),
      post({ resourceType: 'Patient', name: [{ family: 'Bernard' }] }, pat),
    ]));
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    const [obsLoc, encLoc, patLoc] = res.body.entry.map((e: BundleEntry) => e.response!.location!);
    const ref = (loc: string) => loc.replace('http://localhost:8080/fhir/', '').replace(/\/_history\/\d+$/, '');
    const obs = await t.api.get(`/fhir/${ref(obsLoc)}`);
    expect(obs.body.subject.reference).toBe(ref(patLoc));
    expect(obs.body.encounter.reference).toBe(ref(encLoc));
    expect((await t.api.get(`/fhir/${ref(encLoc)}`)).body.subject.reference).toBe(ref(patLoc));
  });

  it('resolves conditional references (Patient?identifier=system|value)', async () => {
    const id = await createResource(t, { resourceType: 'Patient', identifier: [identifier('cref-1')] });
    const res = await postJson(t, '/fhir', tx([
      post({ resourceType: 'Observation', status: 'final', code: { text: 'pouls' }, subject: { reference: `Patient?identifier=${SYS}|cref-1` } }),
    ]));
    expect(res.status).toBe(200);
    const obs = await t.api.get(`/fhir/${res.body.entry[0].response.location.replace('http://localhost:8080/fhir/', '')}`);
    expect(obs.body.subject.reference).toBe(`Patient/${id}`);
  });

  it('fails the transaction when a conditional reference matches nothing', async () => {
    const before = await tableCounts(t);
    const res = await postJson(t, '/fhir', tx([
      post({ resourceType: 'Patient' }),
      post({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?identifier=${SYS}|cref-none` } }),
    ]));
    expect(res.status).toBe(400);
    expect(await tableCounts(t)).toEqual(before);
  });
});

describe('processing order and per-entry conditions', () => {
  it('runs DELETE before POST, PUT before GET, and answers in the order of the request', async () => {
    const doomed = await createResource(t, { resourceType: 'Patient', identifier: [identifier('order-1')] });
    const edited = await createResource(t, { resourceType: 'Patient', name: [{ family: 'Avant' }] });
    const res = await postJson(t, '/fhir', tx([
      { request: { method: 'GET', url: `Patient/${edited}` } },
      post({ resourceType: 'Patient', identifier: [identifier('order-1')] }, undefined, { ifNoneExist: `identifier=${SYS}|order-1` }),
      { resource: { resourceType: 'Patient', id: edited, name: [{ family: 'Après' }] }, request: { method: 'PUT', url: `Patient/${edited}` } },
      { request: { method: 'DELETE', url: `Patient/${doomed}` } },
    ]));
    expect(res.status).toBe(200);
    const statuses = res.body.entry.map((e: BundleEntry) => e.response!.status);
    // The GET saw the PUT; the If-None-Exist no longer matched the deleted Patient, so it created.
    expect(statuses.map((s: string) => s.slice(0, 3))).toEqual(['200', '201', '200', '204']);
    expect(res.body.entry[0].resource.name[0].family).toBe('Après');
    expect(res.body.entry[1].response.location).not.toContain(doomed);
  });

  it('If-None-Exist per entry: a match answers 200 with its location and creates nothing', async () => {
    const id = await createResource(t, { resourceType: 'Patient', identifier: [identifier('ine-1')] });
    const res = await postJson(t, '/fhir', tx([post({ resourceType: 'Patient', identifier: [identifier('ine-1')] }, undefined, { ifNoneExist: `identifier=${SYS}|ine-1` })]));
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response).toMatchObject({ status: '200 OK', location: `http://localhost:8080/fhir/Patient/${id}/_history/1`, etag: 'W/"1"' });
    expect(await searchCount(t, 'Patient', `identifier=${SYS}|ine-1`)).toBe(1);
  });

  it('If-Match per entry: the current version updates', async () => {
    const id = await createResource(t, { resourceType: 'Patient' });
    const res = await postJson(t, '/fhir', tx([{ resource: { resourceType: 'Patient', id, active: true }, request: { method: 'PUT', url: `Patient/${id}`, ifMatch: 'W/"1"' } }]));
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response).toMatchObject({ status: '200 OK', etag: 'W/"2"', location: `http://localhost:8080/fhir/Patient/${id}/_history/2` });
  });

  it('answers each entry with status, location, etag and lastModified; Prefer return=representation adds the resources', async () => {
    const existing = await createResource(t, { resourceType: 'Patient' });
    await putJson(t, `/fhir/Patient/tx-put`, { resourceType: 'Patient', id: 'tx-put' });
    const res = await postJson(t, '/fhir', tx([
      post({ resourceType: 'Patient', name: [{ family: 'Nouveau' }] }),
      { resource: { resourceType: 'Patient', id: 'tx-put', active: false }, request: { method: 'PUT', url: 'Patient/tx-put' } },
      { resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(JSON.stringify([{ op: 'add', path: '/active', value: true }])).toString('base64') }, request: { method: 'PATCH', url: `Patient/${existing}` } },
    ]), { Prefer: 'return=representation' });
    expect(res.status).toBe(200);
    const [created, updated, patched] = res.body.entry as BundleEntry[];
    expect(created.response).toMatchObject({ status: '201 Created', etag: 'W/"1"' });
    expect(created.response!.location).toMatch(/^http:\/\/localhost:8080\/fhir\/Patient\/[^/]+\/_history\/1$/);
    expect(created.response!.lastModified).toBeDefined();
    expect(created.resource).toMatchObject({ resourceType: 'Patient', name: [{ family: 'Nouveau' }] });
    expect(updated.response).toMatchObject({ status: '200 OK', etag: 'W/"2"', location: 'http://localhost:8080/fhir/Patient/tx-put/_history/2' });
    expect(patched.response).toMatchObject({ status: '200 OK', etag: 'W/"2"' });
    expect((patched.resource as { active?: boolean }).active).toBe(true);
  });

  it('conditional update inside a transaction, referenced by its fullUrl', async () => {
    const id = await createResource(t, { resourceType: 'Patient', identifier: [identifier('txcu-1')] });
    const full = 'urn:uuid:6f1c7a5e-2d2b-4b8e-9a57-1c1f0d3e0100';
    const res = await postJson(t, '/fhir', tx([
      { fullUrl: full, resource: { resourceType: 'Patient', identifier: [identifier('txcu-1')], active: true }, request: { method: 'PUT', url: `Patient?identifier=${SYS}|txcu-1` } },
      post({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: full } }),
    ]));
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.location).toBe(`http://localhost:8080/fhir/Patient/${id}/_history/2`);
    const obs = await t.api.get(`/fhir/${res.body.entry[1].response.location.replace('http://localhost:8080/fhir/', '')}`);
    expect(obs.body.subject.reference).toBe(`Patient/${id}`);
  });
});

it('refuses a Bundle of another type and a non-Bundle posted to the base', async () => {
  const doc = await postJson(t, '/fhir', { resourceType: 'Bundle', type: 'collection' });
  expect(doc.status).toBe(400);
  expect(doc.body.issue[0].expression).toEqual(['Bundle.type']);
  const pat = await postJson(t, '/fhir', { resourceType: 'Patient' });
  expect(pat.status).toBe(400);
});

// batch (FHIR R4 §3.1.0.11.1): entries run independently, each is reported, a failure stops nothing else.
import type { BundleEntry } from '@medplum/fhirtypes';
import { createResource, identifier, postJson, searchCount } from '../support/fhir-api';
import { startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
beforeAll(async () => (t = await startTestHub()));
afterAll(async () => t.close());

const SYS = 'https://hub.test/mrn';
const batch = (entry: unknown[]) => ({ resourceType: 'Bundle', type: 'batch', entry });

it('runs every entry, reports each in order, and a failing entry does not stop the others', async () => {
  const existing = await createResource(t, { resourceType: 'Patient', name: [{ family: 'Existant' }] });
  const res = await postJson(t, '/fhir', batch([
    { resource: { resourceType: 'Patient', identifier: [identifier('batch-1')] }, request: { method: 'POST', url: 'Patient' } },
    { resource: { resourceType: 'Patient', gender: 'x' }, request: { method: 'POST', url: 'Patient' } },
    { request: { method: 'GET', url: 'Patient/does-not-exist' } },
    { resource: { resourceType: 'Patient', id: existing, active: true }, request: { method: 'PUT', url: `Patient/${existing}`, ifMatch: 'W/"5"' } },
    { request: { method: 'GET', url: `Patient/${existing}` } },
    { resource: { resourceType: 'Patient', identifier: [identifier('batch-1')] }, request: { method: 'POST', url: 'Patient' } },
    { request: { method: 'DELETE', url: `Patient/${existing}` } },
  ]));
  expect(res.status).toBe(200);
  expect(res.body.type).toBe('batch-response');
  const entries = res.body.entry as BundleEntry[];
  expect(entries).toHaveLength(7);
  expect(entries.map((e) => e.response!.status.slice(0, 3))).toEqual(['201', '422', '404', '412', '200', '201', '204']);
  expect(entries[0].response!.location).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
  expect(entries[0].response!.etag).toBe('W/"1"');
  expect(entries[1].response!.outcome).toMatchObject({ resourceType: 'OperationOutcome' });
  expect(JSON.stringify(entries[1].response!.outcome)).toContain('gender');
  expect(entries[2].response!.outcome?.issue?.[0].code).toBe('not-found');
  expect(entries[3].response!.outcome?.issue?.[0].code).toBe('conflict');
  expect(entries[4].resource).toMatchObject({ resourceType: 'Patient', id: existing });
  expect(await searchCount(t, 'Patient', `identifier=${SYS}|batch-1`)).toBe(2);
  expect((await t.api.get(`/fhir/Patient/${existing}`)).status).toBe(410);
});

it('reports malformed entries (no request, null, unknown element) each on its own, without failing the batch', async () => {
  const res = await postJson(t, '/fhir', batch([
    { resource: { resourceType: 'Patient' } },
    null,
    { request: { method: 'GET', url: 'Patient', bogus: 1 } },
    { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
  ]));
  expect(res.status).toBe(200);
  const entries = res.body.entry as BundleEntry[];
  expect(entries.map((e) => e.response!.status.slice(0, 3))).toEqual(['400', '422', '422', '201']);
  expect(entries[0].response!.outcome!.issue![0].expression).toEqual(['Bundle.entry[0].request']);
  expect(entries[1].response!.outcome!.issue![0].expression).toEqual(['Bundle.entry[1]']);
  expect(entries[2].response!.outcome!.issue![0].expression).toEqual(['Bundle.entry[2].request.bogus']);
});

it('refuses a transaction with a malformed entry as a whole (422), naming the entry', async () => {
  const res = await postJson(t, '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient' } }, null] });
  expect(res.status).toBe(422);
  expect(res.body.issue[0].expression).toEqual(['Bundle.entry[1]']);
  const notArray = await postJson(t, '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: { request: {} } });
  expect(notArray.status).toBe(422);
  expect(notArray.body.issue[0].expression).toEqual(['Bundle.entry']);
});

it('runs entries with their own conditions: If-None-Exist per entry', async () => {
  const id = await createResource(t, { resourceType: 'Patient', identifier: [identifier('batch-2')] });
  const res = await postJson(t, '/fhir', batch([
    { resource: { resourceType: 'Patient', identifier: [identifier('batch-2')] }, request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${SYS}|batch-2` } },
  ]));
  expect(res.body.entry[0].response).toMatchObject({ status: '200 OK', location: `http://localhost:8080/fhir/Patient/${id}/_history/1` });
});

it('refuses a Bundle nested in a batch entry, without stopping the batch', async () => {
  const res = await postJson(t, '/fhir', batch([
    { resource: { resourceType: 'Bundle', type: 'batch', entry: [{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }] }, request: { method: 'POST', url: '/' } },
    { request: { method: 'GET', url: 'metadata' } },
  ]));
  expect(res.status).toBe(200);
  expect(res.body.entry[0].response.status).toMatch(/^4/);
  expect(res.body.entry[1].response.status).toBe('200 OK');
});

it('answers an empty batch with an empty batch-response (no empty entry array)', async () => {
  const res = await postJson(t, '/fhir', { resourceType: 'Bundle', type: 'batch' });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'batch-response' });
  expect(res.body.entry).toBeUndefined();
  const tx = await postJson(t, '/fhir', { resourceType: 'Bundle', type: 'transaction' });
  expect(tx.status).toBe(200);
  expect(tx.body.entry).toBeUndefined();
});

// Correctness under concurrency: conditional create is race-free; If-Match lets exactly one writer win
// (FHIR R4 §3.1.0.5 managing resource contention, §3.1.0.8 conditional create).
import { createResource, identifier, patchJson, postJson, putJson, searchCount } from '../support/fhir-api';
import { startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
beforeAll(async () => (t = await startTestHub()));
afterAll(async () => t.close());

const SYS = 'https://hub.test/mrn';
const N = 20;

function tally(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

describe('parallel conditional writes', () => {
  it(`${N} parallel conditional creates with the same criteria create exactly one resource`, async () => {
    const body = { resourceType: 'Patient', identifier: [identifier('race-1')], name: [{ family: 'Lefebvre' }] };
    const results = await Promise.all(
      Array.from({ length: N }, () => postJson(t, '/fhir/Patient', body, { 'If-None-Exist': `identifier=${SYS}|race-1` })),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 200: N - 1 });
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await searchCount(t, 'Patient', `identifier=${SYS}|race-1`)).toBe(1);
  });

  it(`${N} parallel conditional updates with the same criteria create exactly one resource`, async () => {
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        putJson(t, `/fhir/Patient?identifier=${SYS}|race-2`, { resourceType: 'Patient', identifier: [identifier('race-2')], name: [{ family: `N${i}` }] }),
      ),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 200: N - 1 });
    expect(await searchCount(t, 'Patient', `identifier=${SYS}|race-2`)).toBe(1);
    const [{ body }] = results;
    expect((await t.api.get(`/fhir/Patient/${body.id}`)).body.meta.versionId).toBe(String(N));
  });
});

describe('create-on-update under contention', () => {
  it(`${N} parallel PUTs creating the same new id: one 201, every other one an update, no error`, async () => {
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => putJson(t, '/fhir/Patient/race-put', { resourceType: 'Patient', id: 'race-put', name: [{ family: `P${i}` }] })),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 200: N - 1 });
    expect((await t.api.get('/fhir/Patient/race-put')).body.meta.versionId).toBe(String(N));
  });
});

describe('If-Match under contention', () => {
  it(`${N} parallel updates with the same If-Match: exactly one 200, ${N - 1} × 412`, async () => {
    const id = await createResource(t, { resourceType: 'Patient', name: [{ family: 'Moreau' }] });
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        putJson(t, `/fhir/Patient/${id}`, { resourceType: 'Patient', id, name: [{ family: `Moreau-${i}` }] }, { 'If-Match': 'W/"1"' }),
      ),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 200: 1, 412: N - 1 });
    for (const r of results.filter((x) => x.status === 412)) expect(r.body.issue[0].code).toBe('conflict');
    const winner = results.find((r) => r.status === 200)!;
    const current = await t.api.get(`/fhir/Patient/${id}`);
    expect(current.body.meta.versionId).toBe('2');
    expect(current.body.name[0].family).toBe(winner.body.name[0].family);
    expect((await t.api.get(`/fhir/Patient/${id}/_history`)).body.total).toBe(2);
  });

  it(`${N} parallel patches with the same If-Match: exactly one 200`, async () => {
    const id = await createResource(t, { resourceType: 'Patient', name: [{ family: 'Roux' }] });
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => patchJson(t, `/fhir/Patient/${id}`, [{ op: 'replace', path: '/name/0/family', value: `Roux-${i}` }], { 'If-Match': 'W/"1"' })),
    );
    expect(tally(results.map((r) => r.status))).toEqual({ 200: 1, 412: N - 1 });
  });

  it('If-Match on patch: 412 on a stale version, 200 on the current one', async () => {
    const id = await createResource(t, { resourceType: 'Patient', name: [{ family: 'Girard' }] });
    const ops = [{ op: 'add', path: '/active', value: true }];
    const stale = await patchJson(t, `/fhir/Patient/${id}`, ops, { 'If-Match': 'W/"2"' });
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe('OperationOutcome');
    expect((await t.api.get(`/fhir/Patient/${id}`)).body.active).toBeUndefined();
    const ok = await patchJson(t, `/fhir/Patient/${id}`, ops, { 'If-Match': 'W/"1"' });
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe('W/"2"');
  });

  it('If-Match on delete: 412 on a stale version leaves the resource; the current one deletes it', async () => {
    const id = await createResource(t, { resourceType: 'Patient', name: [{ family: 'Fournier' }] });
    await putJson(t, `/fhir/Patient/${id}`, { resourceType: 'Patient', id, name: [{ family: 'Fournier-2' }] });
    const stale = await t.api.delete(`/fhir/Patient/${id}`).set('If-Match', 'W/"1"');
    expect(stale.status).toBe(412);
    expect((await t.api.get(`/fhir/Patient/${id}`)).status).toBe(200);
    const ok = await t.api.delete(`/fhir/Patient/${id}`).set('If-Match', 'W/"2"');
    expect([200, 204]).toContain(ok.status);
    expect((await t.api.get(`/fhir/Patient/${id}`)).status).toBe(410);
  });

  it('a malformed If-Match is a 400, not a 412 or 500', async () => {
    const id = await createResource(t, { resourceType: 'Patient' });
    const res = await putJson(t, `/fhir/Patient/${id}`, { resourceType: 'Patient', id, active: true }, { 'If-Match': 'banana' });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['If-Match']);
  });
});

it(`${N} parallel plain creates all succeed with distinct ids`, async () => {
  const results = await Promise.all(Array.from({ length: N }, () => postJson(t, '/fhir/Patient', { resourceType: 'Patient', identifier: [identifier('race-3')] })));
  expect(results.every((r) => r.status === 201)).toBe(true);
  expect(new Set(results.map((r) => r.body.id)).size).toBe(N);
  expect(await searchCount(t, 'Patient', `identifier=${SYS}|race-3`)).toBe(N);
});

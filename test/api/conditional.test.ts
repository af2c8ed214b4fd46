// Conditional create, update, delete and patch (FHIR R4 §3.1.0.4.3, §3.1.0.7.1, §3.1.0.8, §3.1.0.4.2).
import { createResource, identifier, issues, patchJson, postJson, putJson, searchCount } from '../support/fhir-api';
import { startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
beforeAll(async () => (t = await startTestHub()));
afterAll(async () => t.close());

const SYS = 'https://hub.test/mrn';
const patient = (value: string, extra: object = {}) => ({ resourceType: 'Patient', identifier: [identifier(value)], name: [{ family: 'Durand' }], ...extra });

describe('conditional create (If-None-Exist)', () => {
  it('creates when nothing matches: 201', async () => {
    const res = await postJson(t, '/fhir/Patient', patient('cc-0'), { 'If-None-Exist': `identifier=${SYS}|cc-0` });
    expect(res.status).toBe(201);
    expect(res.headers.location).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
  });

  it('answers 200 with the existing resource when one matches, and creates nothing', async () => {
    const id = await createResource(t, patient('cc-1'));
    const res = await postJson(t, '/fhir/Patient', patient('cc-1', { gender: 'male' }), { 'If-None-Exist': `identifier=${SYS}|cc-1` });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(id);
    expect(res.body.gender).toBeUndefined();
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers.location).toBe(`http://localhost:8080/fhir/Patient/${id}/_history/1`);
    expect(await searchCount(t, 'Patient', `identifier=${SYS}|cc-1`)).toBe(1);
  });

  it('answers 412 multiple-matches when several match, and creates nothing', async () => {
    await createResource(t, patient('cc-2'));
    await createResource(t, patient('cc-2'));
    const res = await postJson(t, '/fhir/Patient', patient('cc-2'), { 'If-None-Exist': `identifier=${SYS}|cc-2` });
    expect(res.status).toBe(412);
    expect(issues(res.body)[0].code).toBe('multiple-matches');
    expect(await searchCount(t, 'Patient', `identifier=${SYS}|cc-2`)).toBe(2);
  });

  it('ignores deleted resources: criteria matching only a deleted one create (201)', async () => {
    const old = await createResource(t, patient('cc-4'));
    await t.api.delete(`/fhir/Patient/${old}`);
    const res = await postJson(t, '/fhir/Patient', patient('cc-4'), { 'If-None-Exist': `identifier=${SYS}|cc-4` });
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe(old);
  });

  it('accepts criteria written as a full query (Type?criteria) and refuses an unknown parameter with 400', async () => {
    const first = await postJson(t, '/fhir/Patient', patient('cc-3'), { 'If-None-Exist': `Patient?identifier=${SYS}|cc-3` });
    expect(first.status).toBe(201);
    const again = await postJson(t, '/fhir/Patient', patient('cc-3'), { 'If-None-Exist': `Patient?identifier=${SYS}|cc-3` });
    expect(again.status).toBe(200);
    const bad = await postJson(t, '/fhir/Patient', patient('cc-3'), { 'If-None-Exist': 'no-such-param=1' });
    expect(bad.status).toBe(400);
    expect(bad.body.resourceType).toBe('OperationOutcome');
  });
});

describe('conditional update (PUT Type?criteria)', () => {
  it('creates when nothing matches (201), updates the one match (200)', async () => {
    const created = await putJson(t, `/fhir/Patient?identifier=${SYS}|cu-1`, patient('cu-1'));
    expect(created.status).toBe(201);
    const id = created.body.id;
    const updated = await putJson(t, `/fhir/Patient?identifier=${SYS}|cu-1`, patient('cu-1', { gender: 'female' }));
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(id);
    expect(updated.body.meta.versionId).toBe('2');
    expect(updated.headers.etag).toBe('W/"2"');
    expect((await t.api.get(`/fhir/Patient/${id}`)).body.gender).toBe('female');
  });

  it('answers 412 when several match, changing nothing', async () => {
    const a = await createResource(t, patient('cu-2'));
    await createResource(t, patient('cu-2'));
    const res = await putJson(t, `/fhir/Patient?identifier=${SYS}|cu-2`, patient('cu-2', { gender: 'male' }));
    expect(res.status).toBe(412);
    expect(issues(res.body)[0].code).toBe('multiple-matches');
    expect((await t.api.get(`/fhir/Patient/${a}`)).body.meta.versionId).toBe('1');
  });

  it('refuses a body id that differs from the one match (400)', async () => {
    const id = await createResource(t, patient('cu-3'));
    const res = await putJson(t, `/fhir/Patient?identifier=${SYS}|cu-3`, patient('cu-3', { id: 'other-id' }));
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['Patient.id']);
    expect((await t.api.get(`/fhir/Patient/${id}`)).body.meta.versionId).toBe('1');
  });

  it('accepts a body id equal to the match', async () => {
    const id = await createResource(t, patient('cu-4'));
    const res = await putJson(t, `/fhir/Patient?identifier=${SYS}|cu-4`, patient('cu-4', { id, active: true }));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(id);
  });

  it('does not overwrite an existing resource that the criteria do not match (409)', async () => {
    const other = await createResource(t, patient('cu-5-other'));
    const res = await putJson(t, `/fhir/Patient?identifier=${SYS}|cu-5`, patient('cu-5', { id: other }));
    expect(res.status).toBe(409);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const kept = await t.api.get(`/fhir/Patient/${other}`);
    expect(kept.body.identifier[0].value).toBe('cu-5-other');
    expect(kept.body.meta.versionId).toBe('1');
  });

  it('needs criteria: PUT on the type without a query is 400', async () => {
    const res = await putJson(t, '/fhir/Patient', patient('cu-6'));
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('conditional delete (DELETE Type?criteria)', () => {
  it('deletes the one match; a read is then 410', async () => {
    const id = await createResource(t, patient('cd-1'));
    const res = await t.api.delete(`/fhir/Patient?identifier=${SYS}|cd-1`);
    expect([200, 204]).toContain(res.status);
    expect((await t.api.get(`/fhir/Patient/${id}`)).status).toBe(410);
    expect(await searchCount(t, 'Patient', `identifier=${SYS}|cd-1`)).toBe(0);
  });

  it('answers 412 when several match and deletes none', async () => {
    await createResource(t, patient('cd-2'));
    await createResource(t, patient('cd-2'));
    const res = await t.api.delete(`/fhir/Patient?identifier=${SYS}|cd-2`);
    expect(res.status).toBe(412);
    expect(issues(res.body)[0].code).toBe('multiple-matches');
    expect(await searchCount(t, 'Patient', `identifier=${SYS}|cd-2`)).toBe(2);
  });

  it('succeeds with no match (nothing to delete)', async () => {
    const res = await t.api.delete(`/fhir/Patient?identifier=${SYS}|cd-none`);
    expect([200, 204]).toContain(res.status);
  });
});

describe('conditional patch (PATCH Type?criteria)', () => {
  const ops = [{ op: 'add', path: '/active', value: true }];

  it('patches the one match', async () => {
    const id = await createResource(t, patient('cp-1'));
    const res = await patchJson(t, `/fhir/Patient?identifier=${SYS}|cp-1`, ops);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(id);
    expect(res.body.active).toBe(true);
    expect(res.headers.etag).toBe('W/"2"');
  });

  it('answers 404 with no match and 412 with several', async () => {
    const none = await patchJson(t, `/fhir/Patient?identifier=${SYS}|cp-none`, ops);
    expect(none.status).toBe(404);
    expect(issues(none.body)[0].code).toBe('not-found');
    await createResource(t, patient('cp-2'));
    await createResource(t, patient('cp-2'));
    const many = await patchJson(t, `/fhir/Patient?identifier=${SYS}|cp-2`, ops);
    expect(many.status).toBe(412);
    expect(issues(many.body)[0].code).toBe('multiple-matches');
  });
});

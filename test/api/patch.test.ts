// patch (FHIR R4 §3.1.0.4.2) with JSON Patch (RFC 6902): applied atomically, validated, versioned.
import { createResource, expressions, issues, patchJson } from '../support/fhir-api';
import { startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
beforeAll(async () => (t = await startTestHub()));
afterAll(async () => t.close());

const patient = { resourceType: 'Patient', name: [{ family: 'Lambert', given: ['Anne'] }], gender: 'female', birthDate: '1962-07-14' };

async function current(id: string) {
  return (await t.api.get(`/fhir/Patient/${id}`)).body;
}

it('applies a JSON Patch and makes a new version with ETag, Location and Last-Modified', async () => {
  const id = await createResource(t, patient);
  const res = await patchJson(t, `/fhir/Patient/${id}`, [
    { op: 'replace', path: '/name/0/family', value: 'Lambert-Roy' },
    { op: 'add', path: '/telecom', value: [{ system: 'phone', value: '0601020304' }] },
    { op: 'remove', path: '/birthDate' },
  ]);
  expect(res.status).toBe(200);
  expect(res.headers.etag).toBe('W/"2"');
  expect(res.headers.location).toBe(`http://localhost:8080/fhir/Patient/${id}/_history/2`);
  expect(res.headers['last-modified']).toBeDefined();
  expect(res.body).toMatchObject({ id, meta: { versionId: '2' }, name: [{ family: 'Lambert-Roy' }], telecom: [{ value: '0601020304' }] });
  expect(res.body.birthDate).toBeUndefined();
  expect((await current(id)).name[0].family).toBe('Lambert-Roy');
});

it('honours a failing "test" operation: 422 and the resource unchanged', async () => {
  const id = await createResource(t, patient);
  const res = await patchJson(t, `/fhir/Patient/${id}`, [
    { op: 'test', path: '/gender', value: 'male' },
    { op: 'replace', path: '/gender', value: 'male' },
  ]);
  expect(res.status).toBe(422);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect((await current(id))).toMatchObject({ gender: 'female', meta: { versionId: '1' } });
});

it('refuses a patch that produces an invalid resource: 4xx naming the element, resource unchanged', async () => {
  const id = await createResource(t, patient);
  for (const [ops, element] of [
    [[{ op: 'replace', path: '/gender', value: 'x' }], 'Patient.gender'],
    [[{ op: 'replace', path: '/birthDate', value: 12 }], 'Patient.birthDate'],
    [[{ op: 'add', path: '/colour', value: 'blue' }], 'Patient.colour'],
  ] as const) {
    const res = await patchJson(t, `/fhir/Patient/${id}`, ops);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(expressions(res.body)).toContain(element);
  }
  expect((await current(id))).toMatchObject({ gender: 'female', birthDate: '1962-07-14', meta: { versionId: '1' } });
});

it('refuses a patch that changes the id or resourceType', async () => {
  const id = await createResource(t, patient);
  const res = await patchJson(t, `/fhir/Patient/${id}`, [{ op: 'replace', path: '/id', value: 'other' }]);
  expect(res.status).toBe(400);
  expect(issues(res.body)[0].code).toBe('invalid');
  const rt = await patchJson(t, `/fhir/Patient/${id}`, [{ op: 'replace', path: '/resourceType', value: 'Practitioner' }]);
  expect(rt.status).toBe(400);
  expect((await current(id)).meta.versionId).toBe('1');
});

it('refuses malformed patch documents and operations on missing paths without a 500', async () => {
  const id = await createResource(t, patient);
  const notArray = await patchJson(t, `/fhir/Patient/${id}`, { op: 'add', path: '/active', value: true });
  expect(notArray.status).toBe(400);
  const badOp = await patchJson(t, `/fhir/Patient/${id}`, [{ op: 'frobnicate', path: '/active' }]);
  expect(badOp.status).toBe(422);
  const missing = await patchJson(t, `/fhir/Patient/${id}`, [{ op: 'replace', path: '/address/3/city', value: 'Tours' }]);
  expect(missing.status).toBe(422);
  const garbage = await patchJson(t, `/fhir/Patient/${id}`, [null, 3]);
  expect(garbage.status).toBe(422);
  expect((await current(id)).meta.versionId).toBe('1');
});

it('answers 404 for a missing resource and 410 for a deleted one', async () => {
  const ops = [{ op: 'add', path: '/active', value: true }];
  expect((await patchJson(t, '/fhir/Patient/nobody', ops)).status).toBe(404);
  const id = await createResource(t, patient);
  await t.api.delete(`/fhir/Patient/${id}`);
  expect((await patchJson(t, `/fhir/Patient/${id}`, ops)).status).toBe(410);
});

it('refuses a patch body in a format it does not take with 415', async () => {
  const id = await createResource(t, patient);
  const res = await patchJson(t, `/fhir/Patient/${id}`, [{ op: 'add', path: '/active', value: true }], {}, 'application/merge-patch+json');
  expect(res.status).toBe(415);
  expect(issues(res.body)[0].code).toBe('not-supported');
});

it('a patch that changes nothing makes no new version', async () => {
  const id = await createResource(t, patient);
  const res = await patchJson(t, `/fhir/Patient/${id}`, [{ op: 'replace', path: '/gender', value: 'female' }]);
  expect(res.status).toBe(200);
  expect(res.headers.etag).toBe('W/"1"');
});

it('FHIRPath Patch (Parameters) works exactly when /metadata advertises it, else 415', async () => {
  const id = await createResource(t, patient);
  const advertised = ((await t.api.get('/fhir/metadata')).body.patchFormat as string[]).includes('application/fhir+json');
  const parameters = {
    resourceType: 'Parameters',
    parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.gender' }, { name: 'value', valueCode: 'other' }] }],
  };
  const res = await patchJson(t, `/fhir/Patient/${id}`, parameters, {}, 'application/fhir+json');
  if (advertised) {
    expect(res.status).toBe(200);
    expect(res.body.gender).toBe('other');
  } else {
    expect(res.status).toBe(415);
    expect(issues(res.body)[0].code).toBe('not-supported');
    expect((await current(id)).meta.versionId).toBe('1');
  }
});

// Client errors (FHIR R4 §3.1.0.1.6, §3.1.0.1.7): a clear 4xx with an OperationOutcome pointing at the
// element, never a 500 — malformed bodies, wrong types, invalid values, sizes, media types and formats.
import { createResource, expressions, issues, postJson, putJson } from '../support/fhir-api';
import { FHIR_JSON, startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
let small: TestHub;
beforeAll(async () => {
  t = await startTestHub();
  small = await startTestHub({ BODY_LIMIT_BYTES: '2048' });
});
afterAll(async () => Promise.all([t.close(), small.close()]));

function expectOutcome(res: { status: number; body: unknown; headers: Record<string, string> }, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/application\/fhir\+json/);
  return issues(res.body as never);
}

describe('malformed or mismatched bodies', () => {
  it('malformed JSON: 400 structure', async () => {
    const res = await t.api.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send('{"resourceType": "Patient",');
    expect(expectOutcome(res, 400)[0].code).toBe('structure');
  });

  it('a JSON body that is not an object, or has no resourceType: 400', async () => {
    expectOutcome(await t.api.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send('[1,2]'), 400);
    expectOutcome(await t.api.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send('"Patient"'), 400);
    expectOutcome(await t.api.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send('null'), 400);
    const none = await postJson(t, '/fhir/Patient', { name: [{ family: 'X' }] });
    expect(expectOutcome(none, 400)[0].expression).toEqual(['resourceType']);
  });

  it('an empty body on create: 400', async () => {
    expectOutcome(await t.api.post('/fhir/Patient').set('Content-Type', FHIR_JSON), 400);
  });

  it('wrong resourceType for the URL, on create and update: 400 pointing at resourceType', async () => {
    const c = await postJson(t, '/fhir/Patient', { resourceType: 'Practitioner' });
    expect(expectOutcome(c, 400)[0].expression).toEqual(['resourceType']);
    const u = await putJson(t, '/fhir/Patient/p1', { resourceType: 'Practitioner', id: 'p1' });
    expect(expectOutcome(u, 400)[0].expression).toEqual(['resourceType']);
  });

  it('an unknown resourceType: 4xx', async () => {
    const res = await postJson(t, '/fhir/Patient', { resourceType: 'Patientt' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('id mismatch between URL and body, and a missing id on update: 400 pointing at the id', async () => {
    const res = await putJson(t, '/fhir/Patient/abc', { resourceType: 'Patient', id: 'xyz' });
    expect(expectOutcome(res, 400)[0].expression).toEqual(['Patient.id']);
    const missing = await putJson(t, '/fhir/Patient/abc', { resourceType: 'Patient' });
    expect(expectOutcome(missing, 400)[0].expression).toEqual(['Patient.id']);
    expect((await t.api.get('/fhir/Patient/abc')).status).toBe(404);
  });

  it('JSON nested thousands of levels deep: 400, not a stack overflow', async () => {
    const deep = `{"resourceType":"Patient","extension":[${'{"extension":['.repeat(3000)}${']}'.repeat(3000)}]}`;
    const res = await t.api.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(deep);
    expect(expectOutcome(res, 400)[0].code).toBe('structure');
    const arrays = await t.api.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(`{"resourceType":"Patient","x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    expectOutcome(arrays, 400);
  });

  it('a URL with a bad %-escape: 400', async () => {
    const res = await t.api.get('/fhir/Patient/%E0%A4%A');
    expect(expectOutcome(res, 400)[0].diagnostics).toMatch(/percent-encoded/);
  });

  it('an invalid id in the URL: 400', async () => {
    const res = await putJson(t, `/fhir/Patient/${'x'.repeat(65)}`, { resourceType: 'Patient', id: 'x'.repeat(65) });
    expectOutcome(res, 400);
    expectOutcome(await t.api.get('/fhir/Patient/bad%20id'), 400);
  });
});

describe('content against the base R4 definitions', () => {
  const cases: [string, object, string][] = [
    ['an unknown element', { colour: 'blue' }, 'Patient.colour'],
    ['a wrong type (birthDate: 12)', { birthDate: 12 }, 'Patient.birthDate'],
    ['an invalid date string', { birthDate: '2023-02-30' }, 'Patient.birthDate'],
    ['a badly formed date', { birthDate: '14/07/1962' }, 'Patient.birthDate'],
    ['an invalid code for a required binding (gender "x")', { gender: 'x' }, 'Patient.gender'],
    ['a wrong type in a nested element', { name: [{ given: 'Anne' }] }, 'Patient.name[0].given'],
    ['an unknown nested element', { name: [{ family: 'X', nickname: 'Y' }] }, 'Patient.name[0].nickname'],
    ['a boolean as a string', { active: 'yes' }, 'Patient.active'],
  ];
  it.each(cases)('%s: 4xx with the expression at the element, on create and update', async (_label, extra, expression) => {
    const created = await postJson(t, '/fhir/Patient', { resourceType: 'Patient', ...extra });
    expect([400, 422]).toContain(created.status);
    expect(expressions(created.body)).toContain(expression);
    const updated = await putJson(t, '/fhir/Patient/err-upd', { resourceType: 'Patient', id: 'err-upd', ...extra });
    expect([400, 422]).toContain(updated.status);
    expect(expressions(updated.body)).toContain(expression);
  });

  it('nothing invalid is stored', async () => {
    expect((await t.api.get('/fhir/Patient/err-upd')).status).toBe(404);
    expect((await t.api.get('/fhir/Patient?_summary=count')).body.total).toBe(0);
  });
});

describe('sizes, media types and formats', () => {
  it('a 50 MB body: 413 with an OperationOutcome', async () => {
    const big = JSON.stringify({ resourceType: 'Patient', text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'a'.repeat(50 * 1024 * 1024)}</div>` } });
    const res = await t.api.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(big);
    expect(expectOutcome(res, 413)[0].code).toBe('too-costly');
  });

  it('a body over a smaller BODY_LIMIT_BYTES: 413; a body under it is accepted', async () => {
    const over = await postJson(small, '/fhir/Patient', { resourceType: 'Patient', name: [{ family: 'x'.repeat(4000) }] });
    expectOutcome(over, 413);
    const under = await postJson(small, '/fhir/Patient', { resourceType: 'Patient', name: [{ family: 'Court' }] });
    expect(under.status).toBe(201);
  });

  it('XML body: 415', async () => {
    const res = await t.api.post('/fhir/Patient').set('Content-Type', 'application/fhir+xml').send('<Patient xmlns="http://hl7.org/fhir"/>');
    expect(expectOutcome(res, 415)[0].code).toBe('not-supported');
  });

  it('another content type, or none: 415', async () => {
    expectOutcome(await t.api.post('/fhir/Patient').set('Content-Type', 'text/plain').send('{"resourceType":"Patient"}'), 415);
    const none = await t.api.post('/fhir/Patient').send(Buffer.from('{"resourceType":"Patient"}'));
    expectOutcome(none, 415);
  });

  it('accepts application/json and a charset parameter', async () => {
    const res = await t.api.post('/fhir/Patient').set('Content-Type', 'application/json; charset=utf-8').send('{"resourceType":"Patient"}');
    expect(res.status).toBe(201);
  });

  it('_format=xml and Accept: application/fhir+xml: 406', async () => {
    const id = await createResource(t, { resourceType: 'Patient' });
    expect(expectOutcome(await t.api.get(`/fhir/Patient/${id}?_format=xml`), 406)[0].code).toBe('not-supported');
    expectOutcome(await t.api.get(`/fhir/Patient/${id}`).set('Accept', 'application/fhir+xml'), 406);
    expect((await t.api.get(`/fhir/Patient/${id}?_format=json`)).status).toBe(200);
    expect((await t.api.get(`/fhir/Patient/${id}`).set('Accept', 'application/fhir+json')).status).toBe(200);
  });
});

describe('paths and methods', () => {
  it('an unknown resource type, an unknown path and a method the path does not take', async () => {
    expect(expectOutcome(await t.api.get('/fhir/Nope/1'), 404)[0].code).toBe('not-found');
    expectOutcome(await t.api.get('/fhir/Patient/1/_history/1/extra'), 404);
    expectOutcome(await t.api.get('/elsewhere'), 404);
    expectOutcome(await t.api.post('/fhir/Patient/1').set('Content-Type', FHIR_JSON).send('{}'), 405);
    expectOutcome(await t.api.delete('/fhir'), 405);
  });

  it('an unsupported operation: 4xx or 501, with an OperationOutcome', async () => {
    const res = await t.api.get('/fhir/Patient/$everything');
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.status).not.toBe(500);
  });

  it('a vread with a non-numeric version: 404', async () => {
    const id = await createResource(t, { resourceType: 'Patient' });
    expectOutcome(await t.api.get(`/fhir/Patient/${id}/_history/abc`), 404);
    expectOutcome(await t.api.get(`/fhir/Patient/${id}/_history/9`), 404);
  });
});

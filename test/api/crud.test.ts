// create, read, vread, update, delete, versioning headers and Prefer (FHIR R4 §3.1.0).
import { FHIR_JSON, startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
beforeAll(async () => (t = await startTestHub()));
afterAll(async () => t.close());

const patient = { resourceType: 'Patient', name: [{ family: 'Martin', given: ['Hélène'] }], gender: 'female', birthDate: '1950-03-02' };

describe('create and read', () => {
  it('assigns an id, version 1, and answers 201 with Location, ETag and Last-Modified', async () => {
    const res = await t.api.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient));
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
    expect(res.body.meta.versionId).toBe('1');
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers.location).toBe(`http://localhost:8080/fhir/Patient/${res.body.id}/_history/1`);
    expect(new Date(res.headers['last-modified']).getTime()).toBeGreaterThan(0);
    const read = await t.api.get(`/fhir/Patient/${res.body.id}`);
    expect(read.status).toBe(200);
    expect(read.headers['content-type']).toMatch(/application\/fhir\+json/);
    expect(read.body.name[0].given[0]).toBe('Hélène');
  });

  it('ignores a client id on create', async () => {
    const res = await t.api.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify({ ...patient, id: 'mine' }));
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe('mine');
  });

  it('answers 404 for an unknown id and an unknown type', async () => {
    expect((await t.api.get('/fhir/Patient/nope')).status).toBe(404);
    const res = await t.api.get('/fhir/Patientt/1');
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('update, vread and delete', () => {
  it('creates on update with a client id, then versions each change', async () => {
    const put1 = await t.api.put('/fhir/Patient/p-upd').set('Content-Type', FHIR_JSON).send(JSON.stringify({ ...patient, id: 'p-upd' }));
    expect(put1.status).toBe(201);
    const put2 = await t.api.put('/fhir/Patient/p-upd').set('Content-Type', FHIR_JSON).send(JSON.stringify({ ...patient, id: 'p-upd', gender: 'other' }));
    expect(put2.status).toBe(200);
    expect(put2.body.meta.versionId).toBe('2');
    const v1 = await t.api.get('/fhir/Patient/p-upd/_history/1');
    expect(v1.body.gender).toBe('female');
    expect(v1.headers.etag).toBe('W/"1"');
    const same = await t.api.put('/fhir/Patient/p-upd').set('Content-Type', FHIR_JSON).send(JSON.stringify({ ...patient, id: 'p-upd', gender: 'other' }));
    expect(same.body.meta.versionId).toBe('2');
  });

  it('deletes logically: read gives 410, vread of the old version still works', async () => {
    await t.api.put('/fhir/Patient/p-del').set('Content-Type', FHIR_JSON).send(JSON.stringify({ ...patient, id: 'p-del' }));
    const del = await t.api.delete('/fhir/Patient/p-del');
    expect([200, 204]).toContain(del.status);
    const gone = await t.api.get('/fhir/Patient/p-del');
    expect(gone.status).toBe(410);
    expect(gone.body.issue[0].code).toBe('deleted');
    expect((await t.api.get('/fhir/Patient/p-del/_history/1')).status).toBe(200);
  });

  it('applies If-Match: 412 on a stale version', async () => {
    await t.api.put('/fhir/Patient/p-im').set('Content-Type', FHIR_JSON).send(JSON.stringify({ ...patient, id: 'p-im' }));
    const stale = await t.api
      .put('/fhir/Patient/p-im')
      .set('Content-Type', FHIR_JSON)
      .set('If-Match', 'W/"7"')
      .send(JSON.stringify({ ...patient, id: 'p-im', gender: 'male' }));
    expect(stale.status).toBe(412);
    const ok = await t.api
      .put('/fhir/Patient/p-im')
      .set('Content-Type', FHIR_JSON)
      .set('If-Match', 'W/"1"')
      .send(JSON.stringify({ ...patient, id: 'p-im', gender: 'male' }));
    expect(ok.status).toBe(200);
  });

  it('honours Prefer: return=minimal and return=OperationOutcome', async () => {
    const min = await t.api.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('Prefer', 'return=minimal').send(JSON.stringify(patient));
    expect(min.status).toBe(201);
    expect(min.text).toBe('');
    expect(min.headers.location).toBeDefined();
    const oo = await t.api.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('Prefer', 'return=OperationOutcome').send(JSON.stringify(patient));
    expect(oo.body.resourceType).toBe('OperationOutcome');
  });
});

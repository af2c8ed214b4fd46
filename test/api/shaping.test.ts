// Shaping answers: _summary and _elements on read (FHIR R4 §3.1.1.5.7-8), vread of a deletion,
// conditional reads (If-None-Match, If-Modified-Since), HEAD, and Prefer return= on writes (§3.1.0.4).
import { createResource, patchJson, postJson, putJson } from '../support/fhir-api';
import { startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
beforeAll(async () => (t = await startTestHub()));
afterAll(async () => t.close());

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const narrative = { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Mme Blanc</div>' };
const patient = {
  resourceType: 'Patient',
  text: narrative,
  identifier: [{ system: 'https://hub.test/mrn', value: 's-1' }],
  name: [{ family: 'Blanc' }],
  gender: 'female',
  birthDate: '1970-01-01',
  maritalStatus: { text: 'Mariée' },
  communication: [{ language: { text: 'français' } }],
};
const observation = {
  resourceType: 'Observation',
  text: narrative,
  status: 'final',
  code: { text: 'Poids' },
  subject: { reference: 'Patient/x' },
  valueQuantity: { value: 61, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
  note: [{ text: 'à jeun' }],
};

describe('_summary and _elements on read', () => {
  let pid: string;
  let oid: string;
  beforeAll(async () => {
    pid = await createResource(t, patient);
    oid = await createResource(t, observation);
  });

  it('_summary=true keeps the summary elements only, tagged SUBSETTED', async () => {
    const res = await t.api.get(`/fhir/Patient/${pid}?_summary=true`);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('W/"1"');
    expect(Object.keys(res.body).sort()).toEqual(['birthDate', 'gender', 'id', 'identifier', 'meta', 'name', 'resourceType']);
    expect(res.body.meta.tag).toContainEqual(SUBSETTED);
    expect(res.body.meta.versionId).toBe('1');
  });

  it('_summary=text keeps text, id, meta and the mandatory top-level elements', async () => {
    const res = await t.api.get(`/fhir/Observation/${oid}?_summary=text`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['code', 'id', 'meta', 'resourceType', 'status', 'text']);
    expect(res.body.text).toEqual(narrative);
    expect(res.body.meta.tag).toContainEqual(SUBSETTED);
  });

  it('_summary=data removes the text only', async () => {
    const res = await t.api.get(`/fhir/Observation/${oid}?_summary=data`);
    expect(res.status).toBe(200);
    expect(res.body.text).toBeUndefined();
    expect(res.body).toMatchObject({ note: [{ text: 'à jeun' }], valueQuantity: { value: 61 }, subject: { reference: 'Patient/x' } });
    expect(res.body.meta.tag).toContainEqual(SUBSETTED);
  });

  it('_summary=false answers the whole resource, untagged', async () => {
    const res = await t.api.get(`/fhir/Patient/${pid}?_summary=false`);
    expect(res.body.maritalStatus).toEqual({ text: 'Mariée' });
    expect(res.body.meta.tag).toBeUndefined();
  });

  it('_summary=count counts on a search and is refused on a read', async () => {
    const search = await t.api.get('/fhir/Observation?_summary=count');
    expect(search.status).toBe(200);
    expect(search.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
    expect(search.body.entry).toBeUndefined();
    const read = await t.api.get(`/fhir/Patient/${pid}?_summary=count`);
    expect(read.status).toBe(400);
    expect(read.body.issue[0].expression).toEqual(['_summary']);
    expect((await t.api.get(`/fhir/Patient/${pid}?_summary=bogus`)).status).toBe(400);
  });

  it('_elements keeps the listed elements (choice types by their base name) plus mandatory ones', async () => {
    const res = await t.api.get(`/fhir/Patient/${pid}?_elements=name,birthDate`);
    expect(Object.keys(res.body).sort()).toEqual(['birthDate', 'id', 'meta', 'name', 'resourceType']);
    expect(res.body.meta.tag).toContainEqual(SUBSETTED);
    const obs = await t.api.get(`/fhir/Observation/${oid}?_elements=value`);
    expect(Object.keys(obs.body).sort()).toEqual(['code', 'id', 'meta', 'resourceType', 'status', 'valueQuantity']);
  });
});

describe('vread and conditional reads', () => {
  it('vread of a deleted version answers 410 Gone with an OperationOutcome; earlier versions still read', async () => {
    const id = await createResource(t, { resourceType: 'Patient' });
    await t.api.delete(`/fhir/Patient/${id}`);
    const res = await t.api.get(`/fhir/Patient/${id}/_history/2`);
    expect(res.status).toBe(410);
    expect(res.body.issue[0].code).toBe('deleted');
    expect(res.headers.etag).toBe('W/"2"');
    const v1 = await t.api.get(`/fhir/Patient/${id}/_history/1`);
    expect(v1.status).toBe(200);
    expect(v1.headers.etag).toBe('W/"1"');
    expect(v1.body.meta.versionId).toBe('1');
  });

  it('If-None-Match with the current ETag answers 304 without a body; another ETag answers 200', async () => {
    const id = await createResource(t, { resourceType: 'Patient' });
    const same = await t.api.get(`/fhir/Patient/${id}`).set('If-None-Match', 'W/"1"');
    expect(same.status).toBe(304);
    expect(same.text ?? '').toBe('');
    expect(same.headers.etag).toBe('W/"1"');
    expect((await t.api.get(`/fhir/Patient/${id}`).set('If-None-Match', '"1"')).status).toBe(304);
    expect((await t.api.get(`/fhir/Patient/${id}`).set('If-None-Match', 'W/"4", W/"1"')).status).toBe(304);
    expect((await t.api.get(`/fhir/Patient/${id}`).set('If-None-Match', '*')).status).toBe(304);
    const other = await t.api.get(`/fhir/Patient/${id}`).set('If-None-Match', 'W/"2"');
    expect(other.status).toBe(200);
    expect(other.body.id).toBe(id);
  });

  it('If-Modified-Since: 304 when unchanged since, 200 when changed after', async () => {
    const id = await createResource(t, { resourceType: 'Patient' });
    const read = await t.api.get(`/fhir/Patient/${id}`);
    expect((await t.api.get(`/fhir/Patient/${id}`).set('If-Modified-Since', read.headers['last-modified'])).status).toBe(304);
    expect((await t.api.get(`/fhir/Patient/${id}`).set('If-Modified-Since', 'Mon, 01 Jan 2001 00:00:00 GMT')).status).toBe(200);
  });

  it('HEAD answers the headers of a read without a body', async () => {
    const id = await createResource(t, { resourceType: 'Patient' });
    const res = await t.api.head(`/fhir/Patient/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.text ?? '').toBe('');
  });
});

describe('Prefer: return=', () => {
  const writes = {
    create: (prefer: string) => postJson(t, '/fhir/Patient', { resourceType: 'Patient', gender: 'male' }, { Prefer: prefer }),
    update: async (prefer: string) => {
      const id = await createResource(t, { resourceType: 'Patient' });
      return putJson(t, `/fhir/Patient/${id}`, { resourceType: 'Patient', id, gender: 'male' }, { Prefer: prefer });
    },
    patch: async (prefer: string) => {
      const id = await createResource(t, { resourceType: 'Patient' });
      return patchJson(t, `/fhir/Patient/${id}`, [{ op: 'add', path: '/gender', value: 'male' }], { Prefer: prefer });
    },
  };

  describe.each(Object.entries(writes))('on %s', (_name, write) => {
    it('return=minimal: no body, the version headers', async () => {
      const res = await write('return=minimal');
      expect([200, 201]).toContain(res.status);
      expect(res.text ?? '').toBe('');
      expect(res.headers.location).toMatch(/\/Patient\/[^/]+\/_history\/\d+$/);
      expect(res.headers.etag).toMatch(/^W\/"\d+"$/);
      expect(res.headers['last-modified']).toBeDefined();
    });

    it('return=representation (and no Prefer): the stored resource', async () => {
      for (const prefer of ['return=representation', '']) {
        const res = await write(prefer);
        expect(res.body).toMatchObject({ resourceType: 'Patient', gender: 'male' });
        expect(res.body.meta.versionId).toBe(res.headers.etag.replace(/^W\/"(\d+)"$/, '$1'));
      }
    });

    it('return=OperationOutcome: an informational OperationOutcome', async () => {
      const res = await write('return=OperationOutcome');
      expect([200, 201]).toContain(res.status);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].severity).toBe('information');
      expect(res.headers.location).toBeDefined();
    });
  });
});

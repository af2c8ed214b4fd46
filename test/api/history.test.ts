// history (FHIR R4 §3.1.0.10): instance, type and system levels, _count, _since, _at, paging links, deletions.
import type { BundleEntry } from '@medplum/fhirtypes';
import { createResource, postJson, putJson } from '../support/fhir-api';
import { BASE, startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
beforeAll(async () => (t = await startTestHub()));
afterAll(async () => t.close());

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const relative = (url: string) => url.replace(BASE, '/fhir');
const link = (body: { link?: { relation: string; url: string }[] }, rel: string) => body.link?.find((l) => l.relation === rel)?.url;
const versionOf = (e: BundleEntry) => `${e.fullUrl}@${e.response!.etag}`;

describe('instance history', () => {
  it('lists every version newest first, a deletion with request method DELETE and no resource', async () => {
    const id = await createResource(t, { resourceType: 'Patient', name: [{ family: 'V1' }] });
    await putJson(t, `/fhir/Patient/${id}`, { resourceType: 'Patient', id, name: [{ family: 'V2' }] });
    await t.api.delete(`/fhir/Patient/${id}`);
    const res = await t.api.get(`/fhir/Patient/${id}/_history`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/fhir\+json/);
    expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'history', total: 3 });
    const entries = res.body.entry as BundleEntry[];
    expect(entries.map((e) => e.request!.method)).toEqual(['DELETE', 'PUT', 'POST']);
    expect(entries.map((e) => e.response!.etag)).toEqual(['W/"3"', 'W/"2"', 'W/"1"']);
    expect(entries[0].resource).toBeUndefined();
    expect(entries[0].request!.url).toBe(`Patient/${id}`);
    expect(entries[1].resource).toMatchObject({ id, meta: { versionId: '2' }, name: [{ family: 'V2' }] });
    expect(entries.every((e) => e.fullUrl === `${BASE}/Patient/${id}`)).toBe(true);
    expect((await t.api.get(`/fhir/Patient/${id}/_history/3`)).status).toBe(410);
  });

  it('answers 404 for the history of a resource that never existed', async () => {
    const res = await t.api.get('/fhir/Patient/never-was/_history');
    expect(res.status).toBe(404);
    expect(res.body.issue[0].code).toBe('not-found');
  });
});

describe('type and system history', () => {
  it('type history holds only that type; system history holds every type', async () => {
    await createResource(t, { resourceType: 'Organization', name: 'CPTS Val de Loire' });
    await createResource(t, { resourceType: 'Location', name: 'Cabinet' });
    const orgs = await t.api.get('/fhir/Organization/_history');
    expect(orgs.status).toBe(200);
    expect(orgs.body.total).toBe(1);
    expect(orgs.body.entry[0].resource.resourceType).toBe('Organization');
    const all = await t.api.get('/fhir/_history?_count=100');
    expect(all.status).toBe(200);
    const types = new Set((all.body.entry as BundleEntry[]).map((e) => e.fullUrl!.split('/').slice(-2)[0]));
    expect([...types]).toEqual(expect.arrayContaining(['Patient', 'Organization', 'Location']));
  });
});

describe('paging, _count, _since and _at', () => {
  it('pages with _count: next returns the following items, no duplicates, none missed', async () => {
    const id = await createResource(t, { resourceType: 'Device', deviceName: [{ name: 'v1', type: 'user-friendly-name' }] });
    for (let v = 2; v <= 7; v++) await putJson(t, `/fhir/Device/${id}`, { resourceType: 'Device', id, deviceName: [{ name: `v${v}`, type: 'user-friendly-name' }] });
    const seen: string[] = [];
    let url: string | undefined = '/fhir/Device/_history?_count=3';
    let pages = 0;
    let first = true;
    while (url) {
      const res = await t.api.get(url);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(7);
      seen.push(...(res.body.entry as BundleEntry[]).map(versionOf));
      if (first) {
        // A write after the first page must not shift the following pages.
        await putJson(t, `/fhir/Device/${id}`, { resourceType: 'Device', id, deviceName: [{ name: 'late', type: 'user-friendly-name' }] });
        first = false;
      }
      const next = link(res.body, 'next');
      url = next ? relative(next) : undefined;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect(seen.map((s) => s.split('@')[1])).toEqual([7, 6, 5, 4, 3, 2, 1].map((v) => `W/"${v}"`));
  });

  it('gives self and first links and refuses a bad _count or an unknown parameter with 400', async () => {
    const res = await t.api.get('/fhir/_history?_count=2');
    expect(link(res.body, 'self')).toContain('_count=2');
    expect(link(res.body, 'first')).toBeDefined();
    expect(res.body.entry).toHaveLength(2);
    for (const bad of ['_count=-1', '_count=abc', '_since=yesterday', 'name=x']) {
      const r = await t.api.get(`/fhir/_history?${bad}`);
      expect(r.status).toBe(400);
      expect(r.body.resourceType).toBe('OperationOutcome');
    }
  });

  it('_since keeps the versions written at or after the instant', async () => {
    const id = await createResource(t, { resourceType: 'Basic', code: { text: 'v1' } });
    await pause(20);
    const since = new Date().toISOString();
    await pause(20);
    await putJson(t, `/fhir/Basic/${id}`, { resourceType: 'Basic', id, code: { text: 'v2' } });
    const res = await t.api.get(`/fhir/Basic/${id}/_history?_since=${encodeURIComponent(since)}`);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
    expect(res.body.entry[0].response.etag).toBe('W/"2"');
  });

  it('_at keeps the versions current at that time', async () => {
    const id = await createResource(t, { resourceType: 'Basic', code: { text: 'a1' } });
    await pause(20);
    const duringV1 = new Date().toISOString();
    await pause(20);
    await putJson(t, `/fhir/Basic/${id}`, { resourceType: 'Basic', id, code: { text: 'a2' } });
    await pause(20);
    const duringV2 = new Date().toISOString();
    await pause(20);
    await putJson(t, `/fhir/Basic/${id}`, { resourceType: 'Basic', id, code: { text: 'a3' } });
    const atV1 = await t.api.get(`/fhir/Basic/${id}/_history?_at=${encodeURIComponent(duringV1)}`);
    expect(atV1.status).toBe(200);
    expect((atV1.body.entry as BundleEntry[]).map((e) => e.response!.etag)).toEqual(['W/"1"']);
    const atV2 = await t.api.get(`/fhir/Basic/${id}/_history?_at=${encodeURIComponent(duringV2)}`);
    expect((atV2.body.entry as BundleEntry[]).map((e) => e.response!.etag)).toEqual(['W/"2"']);
    // A period: every version current at some point during the year.
    const year = new Date().getUTCFullYear();
    const atYear = await t.api.get(`/fhir/Basic/${id}/_history?_at=${year}`);
    expect(atYear.body.total).toBe(3);
  });
});

it('records a version made through a transaction in history like any other write', async () => {
  const res = await postJson(t, '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Flag', status: 'active', code: { text: 'x' }, subject: { reference: 'Patient/p' } }, request: { method: 'POST', url: 'Flag' } }] });
  expect(res.status).toBe(200);
  const hist = await t.api.get('/fhir/Flag/_history');
  expect(hist.body.entry[0].request).toEqual({ method: 'POST', url: 'Flag' });
  expect(hist.body.entry[0].response.status).toBe('201');
});

// AuditEvent served from the append-only audit log: read, search by patient/date/agent/entity/type/subtype/outcome
// with paging, the access rule of the caller, writes' events in the write's transaction, queued ones flushed on close.
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { validateBase } from '../../src/conformance/base';
import { postJson } from '../support/fhir-api';
import type { TestHub } from '../support/test-hub';
import { auth, RPPS, seedInternal, signToken, startSecureHub, storedAuditEvents, TestIssuer, type TestKey } from '../support/security';

const GP = '810000000001'; // médecin traitant of A
const OTHER = '810000000002'; // médecin traitant of Z
let issuer: TestIssuer;
let key: TestKey;
let t: TestHub;

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  t = await startSecureHub(issuer);
  await seedInternal(t, [
    { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: RPPS, value: GP.slice(1) }] },
    { resourceType: 'Practitioner', id: 'other', identifier: [{ system: RPPS, value: OTHER.slice(1) }] },
    { resourceType: 'Patient', id: 'A', generalPractitioner: [{ reference: 'Practitioner/gp' }] },
    { resourceType: 'Patient', id: 'Z', generalPractitioner: [{ reference: 'Practitioner/other' }] },
  ]);
  const gp = await token(GP, 'user/*.cruds');
  await t.api.get('/fhir/Patient/A').set(auth(gp));
  await t.api.get('/fhir/Patient/A').set(auth(gp));
  await t.api.get('/fhir/Patient/Z').set(auth(gp)); // refused
  await t.api.get('/fhir/Patient/Z').set(auth(await token(OTHER, 'user/*.cruds')));
  await t.hub.security.trail.flush();
});
afterAll(async () => {
  await t.close();
  await issuer.stop();
});

const token = (professional: string, scope: string) => signToken({ key, issuer: issuer.issuer, professional, scope });
const system = () => signToken({ key, issuer: issuer.issuer, scope: 'system/*.rs system/AuditEvent.rs' });

async function search(query: string, tok?: string): Promise<{ total?: number; events: AuditEvent[]; bundle: Bundle }> {
  const res = await t.api.get(`/fhir/AuditEvent${query}`).set(auth(tok ?? (await system())));
  expect(res.status).toBe(200);
  const bundle = res.body as Bundle;
  return { total: bundle.total, events: (bundle.entry ?? []).map((e) => e.resource as AuditEvent), bundle };
}

test('an AuditEvent is read by its id, valid R4, and its only version is 1', async () => {
  const [first] = (await search('?_count=1')).events;
  const res = await t.api.get(`/fhir/AuditEvent/${first.id}`).set(auth(await system()));
  expect(res.status).toBe(200);
  expect(res.headers.etag).toBe('W/"1"');
  expect(res.body).toEqual(first);
  expect(validateBase(res.body).filter((i) => i.severity === 'error')).toEqual([]);
  expect((await t.api.get(`/fhir/AuditEvent/${first.id}/_history/1`).set(auth(await system()))).body).toEqual(first);
  expect((await t.api.get(`/fhir/AuditEvent/${first.id}/_history/2`).set(auth(await system()))).status).toBe(404);
  expect((await t.api.get('/fhir/AuditEvent/999999999').set(auth(await system()))).status).toBe(404);
});

test('search by patient, agent, entity, type, subtype and outcome', async () => {
  expect((await search('?patient=Patient/A&subtype=read&agent=Practitioner/gp&_summary=count')).total).toBe(2);
  expect((await search('?patient=Z&outcome=4')).events.map((e) => e.outcome)).toEqual(['4']);
  expect((await search('?agent=Practitioner/gp&subtype=read&_summary=count')).total).toBe(3);
  expect((await search('?agent=Practitioner/other&_summary=count')).total).toBe(1);
  expect((await search('?entity=Patient/Z&subtype=http://hl7.org/fhir/restful-interaction|read&agent=Practitioner/gp,Practitioner/other&_summary=count')).total).toBe(2);
  expect((await search('?type=rest&patient=A&subtype=read&agent=Practitioner/gp&_summary=count')).total).toBe(2);
  expect((await search('?type=110100&_summary=count')).total).toBe(0);
  expect((await search('?outcome=0,4&patient=Z&subtype=read&agent=Practitioner/gp,Practitioner/other&_summary=count')).total).toBe(2);
  expect((await t.api.get('/fhir/AuditEvent?unknown=1').set(auth(await system()))).status).toBe(400);
  // The compartment form is the same search. (Reading the audit trail is audited too, hence the agent criteria.)
  const compartment = await t.api.get('/fhir/Patient/A/AuditEvent?subtype=read&agent=Practitioner/gp').set(auth(await system()));
  expect(compartment.body.total).toBe(2);
});

test('search by date with prefixes, sorted, in pages', async () => {
  const all = await search('?patient=A&subtype=read&agent=Practitioner/gp&_sort=-date');
  const times = all.events.map((e) => e.recorded);
  expect([...times].sort().reverse()).toEqual(times);
  expect((await search(`?patient=A&subtype=read&agent=Practitioner/gp&date=ge${times[1]}&_summary=count`)).total).toBe(2);
  expect((await search(`?patient=A&subtype=read&agent=Practitioner/gp&date=gt${times[0]}&_summary=count`)).total).toBe(0);
  expect((await search('?patient=A&date=lt2000-01-01&_summary=count')).total).toBe(0);
  const page1 = await search('?patient=A&subtype=read&agent=Practitioner/gp&_count=1');
  expect(page1.events).toHaveLength(1);
  const next = page1.bundle.link?.find((l) => l.relation === 'next')?.url;
  expect(next).toBeDefined();
  const page2 = await t.api.get(next!.replace('http://localhost:8080', '')).set(auth(await system()));
  expect(page2.body.entry).toHaveLength(1);
  expect(page2.body.entry[0].resource.id).not.toBe(page1.events[0].id);
});

test('a professional auditor sees only the events of the patients they care for, by search and by read', async () => {
  const auditor = await token(GP, 'user/*.rs user/AuditEvent.rs');
  const mine = await search('?subtype=read', auditor);
  expect(mine.events.length).toBeGreaterThan(0);
  const patients = mine.events.flatMap((e) => (e.entity ?? []).filter((x) => x.role?.code === '1').map((x) => x.what?.reference));
  expect(new Set(patients)).toEqual(new Set(['Patient/A']));
  const [aboutZ] = (await search('?patient=Z&_count=1')).events;
  expect((await t.api.get(`/fhir/AuditEvent/${aboutZ.id}`).set(auth(auditor))).status).toBe(403);
  expect((await search('?patient=Z&_summary=count', auditor)).total).toBe(0);
});

test("a write's AuditEvent is stored with the write, before any flush; a rolled-back write leaves none", async () => {
  const gp = await token(GP, 'user/*.cruds');
  const before = (await storedAuditEvents(t)).length;
  const created = await postJson(t, '/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/A' } }, auth(gp));
  expect(created.status).toBe(201);
  // Straight from the table, without flushing the queue.
  const direct = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE subtype = 'create' AND $1 = ANY(entities)`, [`Observation/${created.body.id}`]);
  expect(Number(direct.rows[0].n)).toBe(1);
  // A transaction whose second entry is refused rolls back the first entry's write and its event.
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: { resourceType: 'Observation', status: 'final', code: { text: 'ok' }, subject: { reference: 'Patient/A' } }, request: { method: 'POST', url: 'Observation' } },
      { resource: { resourceType: 'Observation', status: 'final', code: { text: 'no' }, subject: { reference: 'Patient/Z' } }, request: { method: 'POST', url: 'Observation' } },
    ],
  };
  expect((await postJson(t, '/fhir', bundle, auth(gp))).status).toBe(403);
  const events = (await storedAuditEvents(t)).slice(before);
  expect(events.map((e) => `${e.subtype?.[0].code} ${e.outcome}`).sort()).toEqual(['create 0', 'transaction 4']);
});

test('what a request names is stored as it was sent: quotes, backslashes, commas, spaces and NUL bytes', async () => {
  const before = (await storedAuditEvents(t)).length;
  // Unauthenticated, so refused before the id is checked: the event names the instance exactly as requested.
  const odd = 'a"b\\c d,e{f}';
  expect((await t.api.get(`/fhir/Observation/${encodeURIComponent(odd)}%00`)).status).toBe(401);
  const [event] = (await storedAuditEvents(t)).slice(before);
  expect(event.outcome).toBe('4');
  expect(event.entity?.filter((e) => e.role?.code === '4').map((e) => e.what?.reference)).toEqual([`Observation/${odd}`]);
});

test('AuditEvents cannot be written through the API, even by a system client with a write scope', async () => {
  const tok = await signToken({ key, issuer: issuer.issuer, scope: 'system/*.cruds system/AuditEvent.cruds' });
  const attempt = { resourceType: 'AuditEvent', type: { code: 'rest' }, recorded: new Date().toISOString(), agent: [{ requestor: true }], source: { observer: { display: 'x' } } };
  expect((await postJson(t, '/fhir/AuditEvent', attempt, auth(tok))).status).toBe(403);
});

test('queued events are written when the security layer closes (shutdown)', async () => {
  const gp = await token(GP, 'user/*.cruds');
  const count = async () => Number((await t.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).rows[0].n);
  await t.hub.security.trail.flush();
  const before = await count();
  await t.api.get('/fhir/Patient/A').set(auth(gp));
  await t.hub.security.close();
  expect(await count()).toBe(before + 1);
});

// Inboxes and read receipts (issue 8): a message to a care team reaches each member — as practitioner, through a
// role, through an organization — unread first; receipts are kept per recipient and shown to sender and recipients.
import type { Bundle, Communication, Parameters, Resource } from '@medplum/fhirtypes';
import { issues, postJson } from '../support/fhir-api';
import type { TestHub } from '../support/test-hub';
import { auth, practitioner, seedInternal, signToken, startSecureHub, TestIssuer, type TestKey } from '../support/security';

jest.setTimeout(120_000);

const GP = '810000000021';
const NURSE = '810000000022';
const SECRETARY = '810000000023';
const OUTSIDER = '810000000024';
const READ_AT = 'https://fhir-hub.fr/ig/StructureDefinition/message-read-at';
let issuer: TestIssuer;
let key: TestKey;
let t: TestHub;

const role = (id: string, who: string, org: string): Resource =>
  ({ resourceType: 'PractitionerRole', id, practitioner: { reference: `Practitioner/${who}` }, organization: { reference: `Organization/${org}` } }) as Resource;

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  t = await startSecureHub(issuer);
  await seedInternal(t, [
    practitioner('gp', GP),
    practitioner('nurse', NURSE),
    practitioner('secretary', SECRETARY),
    practitioner('outsider', OUTSIDER),
    { resourceType: 'Organization', id: 'msp', name: 'MSP' },
    { resourceType: 'Organization', id: 'idel', name: 'Cabinet infirmier' },
    role('nurse-role', 'nurse', 'idel'),
    role('secretary-role', 'secretary', 'msp'),
    { resourceType: 'Patient', id: 'p1' },
    { resourceType: 'Patient', id: 'p2' },
    {
      resourceType: 'CareTeam',
      id: 'ct-p1',
      status: 'active',
      subject: { reference: 'Patient/p1' },
      participant: [{ member: { reference: 'Practitioner/gp' } }, { member: { reference: 'PractitionerRole/nurse-role' } }, { member: { reference: 'Organization/msp' } }],
    },
    // A message about a patient none of them cares for, stored by the hub: delivered, yet hidden by the access rule.
    { resourceType: 'Communication', id: 'about-p2', status: 'completed', subject: { reference: 'Patient/p2' }, recipient: [{ reference: 'PractitionerRole/nurse-role' }], sent: '2026-01-01T00:00:00Z' },
    // The nurse was in p3's team, now inactive; p4 opposes the nurse's access: messages about them stay delivered but hidden.
    { resourceType: 'Patient', id: 'p3' },
    { resourceType: 'Patient', id: 'p4' },
    { resourceType: 'CareTeam', id: 'ct-p3', status: 'inactive', subject: { reference: 'Patient/p3' }, participant: [{ member: { reference: 'PractitionerRole/nurse-role' } }] },
    { resourceType: 'CareTeam', id: 'ct-p4', status: 'active', subject: { reference: 'Patient/p4' }, participant: [{ member: { reference: 'PractitionerRole/nurse-role' } }] },
    { resourceType: 'Consent', id: 'p4-opposes-nurse', status: 'active', scope: { coding: [{ code: 'patient-privacy' }] }, category: [{ text: 'opposition' }], patient: { reference: 'Patient/p4' }, provision: { type: 'deny', actor: [{ role: { coding: [{ code: 'PRCP' }] }, reference: { reference: 'Practitioner/nurse' } }] } },
    { resourceType: 'Communication', id: 'about-p3', status: 'completed', subject: { reference: 'Patient/p3' }, recipient: [{ reference: 'PractitionerRole/nurse-role' }], sent: '2026-01-02T00:00:00Z' },
    { resourceType: 'Communication', id: 'about-p4', status: 'completed', subject: { reference: 'Patient/p4' }, recipient: [{ reference: 'CareTeam/ct-p4' }], sent: '2026-01-03T00:00:00Z' },
  ] as Resource[]);
});
afterAll(async () => {
  await t.close();
  await issuer.stop();
});

const as = async (professional: string) => auth(await signToken({ key, issuer: issuer.issuer, professional, scope: 'user/*.cruds' }));
const sendToTeam = async (text: string, sent: string): Promise<string> => {
  const body: Communication = { resourceType: 'Communication', status: 'completed', subject: { reference: 'Patient/p1' }, sender: { reference: 'Practitioner/gp' }, recipient: [{ reference: 'CareTeam/ct-p1' }], sent, payload: [{ contentString: text }] };
  const res = await postJson(t, '/fhir/Communication', body, await as(GP));
  if (res.status !== 201) throw new Error(`send gave ${res.status}: ${res.text}`);
  return res.body.id as string;
};
const inbox = async (professional: string, query = '') => t.api.get(`/fhir/Communication/$inbox${query}`).set(await as(professional));
const ids = (b: Bundle) => (b.entry ?? []).map((e) => e.resource!.id);
const markRead = async (professional: string, id: string) => t.api.post(`/fhir/Communication/${id}/$mark-read`).set(await as(professional));

let first: string;
let second: string;
let third: string;

test('a message to a care team reaches each member: as practitioner, through a role, through an organization', async () => {
  first = await sendToTeam('un', '2026-02-01T08:00:00Z');
  second = await sendToTeam('deux', '2026-02-02T08:00:00Z');
  third = await sendToTeam('trois', '2026-02-03T08:00:00Z');
  for (const who of [GP, NURSE, SECRETARY]) {
    const res = await inbox(who);
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('searchset');
    expect(res.body.total).toBe(3);
    expect(ids(res.body)).toEqual([third, second, first]);
    expect(res.body.entry[0].search).toEqual({ mode: 'match' });
  }
  const receipts = await t.api.get(`/fhir/Communication/${first}/$receipts`).set(await as(GP));
  expect(receipts.status).toBe(200);
  expect((receipts.body as Parameters).parameter!.map((p) => p.part![0].valueReference!.reference).sort()).toEqual(['Organization/msp', 'Practitioner/gp', 'PractitionerRole/nurse-role']);
});

test('a professional outside the team gets no inbox entry, and 403 on receipts and mark-read', async () => {
  const res = await inbox(OUTSIDER);
  expect(res.status).toBe(200);
  expect(res.body.total).toBe(0);
  expect(res.body.entry).toBeUndefined();
  const receipts = await t.api.get(`/fhir/Communication/${first}/$receipts`).set(await as(OUTSIDER));
  expect(receipts.status).toBe(403);
  expect(issues(receipts.body)[0].code).toBe('forbidden');
  expect((await markRead(OUTSIDER, first)).status).toBe(403);
});

test('a message about a patient the recipient may not see is left out of the inbox', async () => {
  const res = await inbox(NURSE);
  expect(ids(res.body)).not.toContain('about-p2');
  const delivered = await t.ctx.db.query("SELECT recipient FROM message_delivery d JOIN resource r ON r.rid = d.rid WHERE r.id = 'about-p2'");
  expect(delivered.rows).toEqual([{ recipient: 'PractitionerRole/nurse-role' }]);
});

test('read messages come after unread ones, with their read time; $mark-read is idempotent and per recipient', async () => {
  const marked = await markRead(NURSE, third);
  expect(marked.status).toBe(200);
  const readAt = (marked.body as Parameters).parameter![0].part!.find((p) => p.name === 'readAt')!.valueDateTime;
  expect(readAt).toBeDefined();
  const again = await markRead(NURSE, third);
  expect(again.status).toBe(200);
  expect((again.body as Parameters).parameter![0].part!.find((p) => p.name === 'readAt')!.valueDateTime).toBe(readAt);

  const nurse = await inbox(NURSE);
  expect(ids(nurse.body)).toEqual([second, first, third]);
  expect(nurse.body.entry[2].extension).toEqual([{ url: READ_AT, valueDateTime: readAt }]);
  expect(nurse.body.entry[0].extension).toBeUndefined();
  // The others' rows are untouched.
  expect(ids((await inbox(GP)).body)).toEqual([third, second, first]);
  expect(ids((await inbox(SECRETARY)).body)).toEqual([third, second, first]);
  expect(ids((await inbox(NURSE, '?unread=true')).body)).toEqual([second, first]);
  expect(ids((await inbox(NURSE, '?unread=false')).body)).toEqual([third]);

  const receipts = await t.api.get(`/fhir/Communication/${third}/$receipts`).set(await as(SECRETARY));
  expect(receipts.status).toBe(200);
  const byRecipient = Object.fromEntries((receipts.body as Parameters).parameter!.map((p) => [p.part![0].valueReference!.reference, p.part!.slice(1)]));
  expect(byRecipient['PractitionerRole/nurse-role']).toEqual([
    { name: 'readAt', valueDateTime: readAt },
    { name: 'readBy', valueReference: { reference: 'Practitioner/nurse' } },
  ]);
  expect(byRecipient['Practitioner/gp']).toEqual([]);
  expect(byRecipient['Organization/msp']).toEqual([]);
});

test('paging, the patient filter and a recipient that is not the caller', async () => {
  const page = await inbox(GP, '?_count=2');
  expect(page.body.total).toBe(3);
  expect(ids(page.body)).toEqual([third, second]);
  const next = page.body.link.find((l: { relation: string }) => l.relation === 'next').url as string;
  expect(next).toContain('_offset=2');
  expect(ids((await inbox(GP, '?_count=2&_offset=2')).body)).toEqual([first]);
  const beyond = await inbox(GP, '?_count=2&_offset=10');
  expect([beyond.body.total, beyond.body.entry]).toEqual([3, undefined]);
  expect((await inbox(GP, '?patient=Patient/p2')).body.total).toBe(0);
  expect((await inbox(GP, '?patient=Patient/p1')).body.total).toBe(3);
  expect((await inbox(GP, '?recipient=Practitioner/gp')).body.total).toBe(3);
  const other = await inbox(GP, '?recipient=PractitionerRole/nurse-role');
  expect(other.status).toBe(403);
  expect((await inbox(GP, '?_count=x')).status).toBe(400);
});

test('a reply by a member joins the thread and reaches the team again', async () => {
  const body: Communication = { resourceType: 'Communication', status: 'completed', subject: { reference: 'Patient/p1' }, sender: { reference: 'PractitionerRole/nurse-role' }, recipient: [{ reference: 'CareTeam/ct-p1' }], inResponseTo: [{ reference: `Communication/${first}` }], sent: '2026-02-04T08:00:00Z' };
  const res = await postJson(t, '/fhir/Communication', body, await as(NURSE));
  expect(res.status).toBe(201);
  const thread = await t.ctx.db.query<{ thread: string }>('SELECT DISTINCT d.thread FROM message_delivery d JOIN resource r ON r.rid = d.rid WHERE r.id = $1', [res.body.id]);
  expect(thread.rows).toEqual([{ thread: `Communication/${first}` }]);
  expect(ids((await inbox(SECRETARY, '?unread=true')).body)[0]).toBe(res.body.id);
});

// The inbox judges access with its own form of the care relationship (inbox-access.ts): it must agree with searches.
test("each professional's inbox is exactly the messages delivered to them that their own search may see", async () => {
  for (const professional of [GP, NURSE, SECRETARY, OUTSIDER]) {
    const headers = await as(professional);
    const box = await inbox(professional, '?_count=200');
    const refs = { [GP]: ['Practitioner/gp'], [NURSE]: ['Practitioner/nurse', 'PractitionerRole/nurse-role', 'Organization/idel'], [SECRETARY]: ['Practitioner/secretary', 'PractitionerRole/secretary-role', 'Organization/msp'], [OUTSIDER]: ['Practitioner/outsider'] }[professional]!;
    const delivered = await t.ctx.db.query<{ id: string }>('SELECT DISTINCT r.id FROM message_delivery d JOIN resource r ON r.rid = d.rid WHERE d.recipient = ANY($1::text[])', [refs]);
    const all = delivered.rows.map((r) => r.id);
    const searched = all.length ? await t.api.get(`/fhir/Communication?_id=${all.join(',')}&_count=200`).set(headers) : undefined;
    expect({ professional, inbox: ids(box.body).sort() }).toEqual({ professional, inbox: searched ? ids(searched.body).sort() : [] });
  }
  // The cases that make the comparison bite: delivered to the nurse, hidden by the inactive team and by the opposition.
  const nurse = ids((await inbox(NURSE, '?_count=200')).body);
  expect(nurse).not.toContain('about-p3');
  expect(nurse).not.toContain('about-p4');
  const deliveredToNurse = await t.ctx.db.query<{ id: string }>("SELECT r.id FROM message_delivery d JOIN resource r ON r.rid = d.rid WHERE d.recipient = 'PractitionerRole/nurse-role' AND r.id LIKE 'about-%' ORDER BY r.id");
  expect(deliveredToNurse.rows.map((r) => r.id)).toEqual(['about-p2', 'about-p3', 'about-p4']);
});

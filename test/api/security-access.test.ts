// Access by care relationship and consent, inside the SQL of searches: counts, pages, includes, chains and _has leak nothing.
import type { Resource } from '@medplum/fhirtypes';
import { postJson, putJson } from '../support/fhir-api';
import type { TestHub } from '../support/test-hub';
import { auth, practitioner, seedInternal, signToken, startSecureHub, storedAuditEvents, TestIssuer, type TestKey } from '../support/security';

const GP = '810000000001'; // in A's care team, médecin traitant of B (through a role), author about D
const OUTSIDER = '810000000002';
const ORG_MEMBER = '810000000003'; // works at O3, which C's care team lists
let issuer: TestIssuer;
let key: TestKey;
let t: TestHub;

const patient = (id: string, extra: object = {}): Resource => ({ resourceType: 'Patient', id, name: [{ family: `Fam${id}` }], ...extra }) as Resource;
const observation = (id: string, subject: string, extra: object = {}): Resource =>
  ({ resourceType: 'Observation', id, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '1234-5' }] }, subject: { reference: `Patient/${subject}` }, ...extra }) as Resource;

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  t = await startSecureHub(issuer, { BREAK_GLASS: 'on' });
  await seedInternal(t, [
    practitioner('gp', GP),
    practitioner('outsider', OUTSIDER),
    practitioner('member', ORG_MEMBER),
    { resourceType: 'Organization', id: 'o3', name: 'MSP' },
    { resourceType: 'PractitionerRole', id: 'gp-role', practitioner: { reference: 'Practitioner/gp' } },
    { resourceType: 'PractitionerRole', id: 'member-role', practitioner: { reference: 'Practitioner/member' }, organization: { reference: 'Organization/o3' } },
    patient('A'), patient('B', { generalPractitioner: [{ reference: 'PractitionerRole/gp-role' }] }), patient('C'), patient('D'), patient('E'), patient('F'),
    { resourceType: 'CareTeam', id: 'ct-a', subject: { reference: 'Patient/A' }, participant: [{ member: { reference: 'Practitioner/gp' } }] },
    { resourceType: 'CareTeam', id: 'ct-c', subject: { reference: 'Patient/C' }, participant: [{ member: { reference: 'Organization/o3' } }] },
    { resourceType: 'CareTeam', id: 'ct-f', subject: { reference: 'Patient/F' }, participant: [{ member: { reference: 'Practitioner/gp' } }] },
    { resourceType: 'DocumentReference', id: 'doc-d', status: 'current', subject: { reference: 'Patient/D' }, author: [{ reference: 'Practitioner/gp' }], content: [{ attachment: { contentType: 'text/plain' } }] },
    { resourceType: 'Consent', id: 'no-gp-for-f', status: 'active', scope: { coding: [{ code: 'patient-privacy' }] }, category: [{ text: 'opposition' }], patient: { reference: 'Patient/F' }, provision: { type: 'deny', actor: [{ role: { text: 'professional' }, reference: { reference: 'Practitioner/gp' } }] } } as Resource,
    observation('obs-e', 'E', { performer: [{ reference: 'Practitioner/gp' }], code: { coding: [{ system: 'http://loinc.org', code: 'hiv' }] } }),
    observation('obs-a', 'A', { performer: [{ reference: 'Practitioner/gp' }], hasMember: [{ reference: 'Observation/obs-e' }] }),
    observation('obs-f', 'F'),
  ]);
});
afterAll(async () => {
  await t.close();
  await issuer.stop();
});

const token = (professional: string, scope = 'user/*.cruds') => signToken({ key, issuer: issuer.issuer, professional, scope });
const system = () => signToken({ key, issuer: issuer.issuer, scope: 'system/*.rs' });

async function search(tok: string, query: string): Promise<{ total: number; matches: string[]; included: string[] }> {
  const res = await t.api.get(`/fhir/${query}`).set(auth(tok));
  expect(res.status).toBe(200);
  const entries = (res.body.entry ?? []) as { resource: Resource; search: { mode: string } }[];
  const ids = (mode: string) => entries.filter((e) => e.search.mode === mode).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
  return { total: res.body.total, matches: ids('match'), included: ids('include') };
}

test('a professional sees the patients they care for: care team, médecin traitant through a role, authorship', async () => {
  const r = await search(await token(GP), 'Patient');
  expect(r.matches).toEqual(['Patient/A', 'Patient/B', 'Patient/D']);
  expect(r.total).toBe(3);
  // Through an organisation the care team lists.
  expect((await search(await token(ORG_MEMBER), 'Patient')).matches).toEqual(['Patient/C']);
  // A system client with system/*.rs sees every patient: the restriction is the professional's.
  expect((await search(await system(), 'Patient')).total).toBe(6);
});

test('outside the care team: 0 results, counts and pages included, 403 on read, directory readable', async () => {
  const tok = await token(OUTSIDER);
  expect((await search(tok, 'Patient')).total).toBe(0);
  expect((await search(tok, 'Observation?_summary=count')).total).toBe(0);
  expect((await search(tok, 'Patient?_count=1&_offset=1')).matches).toEqual([]);
  const read = await t.api.get('/fhir/Patient/A').set(auth(tok));
  expect(read.status).toBe(403);
  expect(read.body.issue[0].code).toBe('forbidden');
  expect((await t.api.get('/fhir/Observation/obs-a').set(auth(tok))).status).toBe(403);
  expect((await t.api.get('/fhir/Patient/A/Observation').set(auth(tok))).body.total).toBe(0);
  expect((await t.api.get('/fhir/Practitioner/gp').set(auth(tok))).status).toBe(200);
  expect((await search(tok, 'Practitioner')).total).toBe(3);
});

test('_has and chaining test only what the caller may see', async () => {
  const outsider = await token(OUTSIDER);
  const gp = await token(GP);
  // Without the rule inside the subquery, these would name the practitioner who performed an HIV test on E.
  expect((await search(await system(), 'Practitioner?_has:Observation:performer:code=hiv')).matches).toEqual(['Practitioner/gp']);
  expect((await search(outsider, 'Practitioner?_has:Observation:performer:code=hiv')).total).toBe(0);
  expect((await search(gp, 'Practitioner?_has:Observation:performer:code=hiv')).total).toBe(0);
  // obs-a (A, visible to gp) points at obs-e (E, not visible): the chain must not reach through.
  expect((await search(await system(), 'Observation?_id=obs-a&has-member.code=hiv')).total).toBe(1);
  expect((await search(gp, 'Observation?_id=obs-a&has-member.code=hiv')).total).toBe(0);
  expect((await search(gp, 'Observation?subject:Patient.name=FamE')).total).toBe(0);
});

test('_include and _revinclude bring only allowed resources', async () => {
  const gp = await token(GP);
  const inc = await search(gp, 'Observation?_id=obs-a&_include=Observation:has-member&_include=Observation:subject');
  expect(inc.matches).toEqual(['Observation/obs-a']);
  expect(inc.included).toEqual(['Patient/A']);
  const rev = await search(gp, 'Practitioner?_id=gp&_revinclude=Observation:performer');
  expect(rev.included).toEqual(['Observation/obs-a']);
  expect((await search(await system(), 'Practitioner?_id=gp&_revinclude=Observation:performer')).included).toEqual(['Observation/obs-a', 'Observation/obs-e']);
});

test("a patient's opposition holds for search, read and compartment search, even with a care relationship", async () => {
  const gp = await token(GP);
  expect((await search(gp, 'Patient?_id=F')).total).toBe(0);
  expect((await search(gp, 'Observation?patient=F')).total).toBe(0);
  expect((await t.api.get('/fhir/Patient/F').set(auth(gp))).status).toBe(403);
  expect((await t.api.get('/fhir/Patient/F/Observation').set(auth(gp))).body.total).toBe(0);
  // Operations on an instance pass the same check before they run ($everything-style operations).
  expect((await t.api.get('/fhir/Patient/F/$everything').set(auth(gp))).status).toBe(403);
  expect((await t.api.get('/fhir/Patient/A/$everything').set(auth(gp))).status).not.toBe(403);
  // Breaking the glass waives the relationship, never an opposition.
  expect((await t.api.get('/fhir/Patient/F').set(auth(gp)).set('X-Break-Glass', 'cardiac arrest')).status).toBe(403);
});

test('writes: inside the relationship 201, outside 403, and no moving a resource to a patient one cannot see', async () => {
  const gp = await token(GP);
  const created = await postJson(t, '/fhir/Observation', observation('x', 'A'), auth(gp));
  expect(created.status).toBe(201);
  expect((await postJson(t, '/fhir/Observation', observation('x', 'A'), auth(await token(OUTSIDER)))).status).toBe(403);
  expect((await putJson(t, '/fhir/Observation/obs-e', observation('obs-e', 'A'), auth(gp))).status).toBe(403);
  expect((await putJson(t, `/fhir/Observation/${created.body.id}`, observation(created.body.id, 'E'), auth(gp))).status).toBe(403);
  expect((await t.api.delete('/fhir/Observation/obs-e').set(auth(gp))).status).toBe(403);
  // A transaction creating a patient with its care team naming the professional is allowed as a whole.
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: { resourceType: 'Patient', name: [{ family: 'New' }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'CareTeam', subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' }, participant: [{ member: { reference: 'Practitioner/gp' } }] }, request: { method: 'POST', url: 'CareTeam' } },
    ],
  };
  expect((await postJson(t, '/fhir', bundle, auth(gp))).status).toBe(200);
  expect((await postJson(t, '/fhir', bundle, auth(await token(OUTSIDER)))).status).toBe(403);
});

test('break the glass: the relationship waived for a stated reason, and flagged in the audit trail', async () => {
  const outsider = await token(OUTSIDER);
  const res = await t.api.get('/fhir/Patient/E').set(auth(outsider)).set('X-Break-Glass', 'unconscious patient in the ER');
  expect(res.status).toBe(200);
  expect((await t.api.get('/fhir/Patient/E').set(auth(outsider)).set('X-Break-Glass', '  ')).status).toBe(403);
  const rows = (await storedAuditEvents(t)).filter((e) => JSON.stringify(e).includes('unconscious patient'));
  expect(rows).toHaveLength(1);
  const event = JSON.parse(JSON.stringify(rows[0]));
  expect(event.purposeOfEvent[0].coding[0].code).toBe('BTG');
  expect(event.entity).toEqual(expect.arrayContaining([expect.objectContaining({ what: { reference: 'Patient/E' } })]));
});

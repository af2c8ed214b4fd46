// Issue 8: a professional's worklist is the search Task?owner=...&status=requested,accepted,in-progress&_sort=period;
// owners may be a PractitionerRole, an Organization or a CareTeam; a professional sees only their patients' tasks.
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { TestHub } from '../support/test-hub';
import { auth, practitioner, seedInternal, signToken, startSecureHub, TestIssuer, type TestKey } from '../support/security';

const GP = '810000000001';
const WORKLIST = 'status=requested,accepted,in-progress&_sort=period';
let issuer: TestIssuer;
let key: TestKey;
let t: TestHub;

const task = (id: string, owner: string, patient: string, status: string, start: string, extra: object = {}): Resource =>
  ({ resourceType: 'Task', id, status, intent: 'order', for: { reference: `Patient/${patient}` }, owner: { reference: owner }, executionPeriod: { start, end: `${start.slice(0, 10)}T18:00:00Z` }, ...extra }) as Resource;

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  t = await startSecureHub(issuer);
  await seedInternal(t, [
    practitioner('gp', GP),
    { resourceType: 'Organization', id: 'msp', name: 'MSP' },
    { resourceType: 'PractitionerRole', id: 'gp-role', practitioner: { reference: 'Practitioner/gp' }, organization: { reference: 'Organization/msp' } },
    { resourceType: 'PractitionerRole', id: 'other-role', organization: { reference: 'Organization/msp' } },
    { resourceType: 'Patient', id: 'p1', name: [{ family: 'Un' }] },
    { resourceType: 'Patient', id: 'p2', name: [{ family: 'Deux' }], generalPractitioner: [{ reference: 'PractitionerRole/gp-role' }] },
    { resourceType: 'Patient', id: 'p3', name: [{ family: 'Trois' }] }, // not in the GP's care
    { resourceType: 'CareTeam', id: 'ct-p1', status: 'active', subject: { reference: 'Patient/p1' }, participant: [{ member: { reference: 'PractitionerRole/gp-role' } }] },
    { resourceType: 'DocumentReference', id: 'ldl-p1', status: 'current', subject: { reference: 'Patient/p1' }, content: [{ attachment: { contentType: 'text/plain' } }] },
    task('t-req', 'PractitionerRole/gp-role', 'p1', 'requested', '2026-03-10T08:00:00Z', { focus: { reference: 'DocumentReference/ldl-p1' } }),
    task('t-acc', 'PractitionerRole/gp-role', 'p2', 'accepted', '2026-03-05T08:00:00Z'),
    task('t-prog', 'PractitionerRole/gp-role', 'p1', 'in-progress', '2026-03-20T08:00:00Z'),
    task('t-done', 'PractitionerRole/gp-role', 'p1', 'completed', '2026-03-01T08:00:00Z'),
    task('t-cancel', 'PractitionerRole/gp-role', 'p2', 'cancelled', '2026-03-02T08:00:00Z'),
    task('t-p3', 'PractitionerRole/gp-role', 'p3', 'requested', '2026-03-07T08:00:00Z'),
    task('t-other', 'PractitionerRole/other-role', 'p1', 'requested', '2026-03-08T08:00:00Z'),
    task('t-org', 'Organization/msp', 'p1', 'requested', '2026-03-12T08:00:00Z'),
    task('t-org-done', 'Organization/msp', 'p2', 'completed', '2026-03-11T08:00:00Z'),
    task('t-team', 'CareTeam/ct-p1', 'p1', 'accepted', '2026-03-15T08:00:00Z'),
    task('t-team-2', 'CareTeam/ct-p1', 'p1', 'requested', '2026-03-14T08:00:00Z'),
  ]);
});
afterAll(async () => {
  await t?.close();
  await issuer?.stop();
});

const system = () => signToken({ key, issuer: issuer.issuer, scope: 'system/*.rs' });
const gp = () => signToken({ key, issuer: issuer.issuer, professional: GP, scope: 'user/*.rs' });

async function search(tok: string, query: string): Promise<{ matches: string[]; included: string[]; total?: number }> {
  const res = await t.api.get(`/fhir/Task?${query}`).set(auth(tok));
  expect(res.status).toBe(200);
  const entries = (res.body as Bundle).entry ?? [];
  const of = (mode: string) => entries.filter((e) => e.search?.mode === mode).map((e) => `${e.resource!.resourceType}/${e.resource!.id}`);
  return { matches: of('match'), included: of('include').sort(), total: res.body.total };
}

test('the worklist of a PractitionerRole: open tasks only, in period order and reversed', async () => {
  const tok = await system();
  const asc = await search(tok, `owner=PractitionerRole/gp-role&${WORKLIST}`);
  expect(asc.matches).toEqual(['Task/t-acc', 'Task/t-p3', 'Task/t-req', 'Task/t-prog']);
  const desc = await search(tok, `owner=PractitionerRole/gp-role&status=requested,accepted,in-progress&_sort=-period`);
  expect(desc.matches).toEqual(['Task/t-prog', 'Task/t-req', 'Task/t-p3', 'Task/t-acc']);
});

test('the worklist of an Organization and of a CareTeam', async () => {
  const tok = await system();
  expect((await search(tok, `owner=Organization/msp&${WORKLIST}`)).matches).toEqual(['Task/t-org']);
  expect((await search(tok, `owner=CareTeam/ct-p1&${WORKLIST}`)).matches).toEqual(['Task/t-team-2', 'Task/t-team']);
  // Several owners in one list (a professional's role and their team), still in period order.
  expect((await search(tok, `owner=PractitionerRole/gp-role,CareTeam/ct-p1&${WORKLIST}`)).matches).toEqual(['Task/t-acc', 'Task/t-p3', 'Task/t-req', 'Task/t-team-2', 'Task/t-team', 'Task/t-prog']);
});

test('_include=Task:patient and Task:focus', async () => {
  const tok = await system();
  const withPatients = await search(tok, `owner=PractitionerRole/gp-role&${WORKLIST}&_include=Task:patient`);
  expect(withPatients.matches).toHaveLength(4);
  expect(withPatients.included).toEqual(['Patient/p1', 'Patient/p2', 'Patient/p3']);
  const withFocus = await search(tok, `owner=PractitionerRole/gp-role&${WORKLIST}&_include=Task:focus`);
  expect(withFocus.included).toEqual(['DocumentReference/ldl-p1']);
});

test('a professional sees the worklist of their role, without the tasks of patients outside their care', async () => {
  const tok = await gp();
  const mine = await search(tok, `owner=PractitionerRole/gp-role&${WORKLIST}&_include=Task:patient&_total=accurate`);
  expect(mine.matches).toEqual(['Task/t-acc', 'Task/t-req', 'Task/t-prog']);
  expect(mine.total).toBe(3);
  expect(mine.included).toEqual(['Patient/p1', 'Patient/p2']);
  const res = await t.api.get('/fhir/Task/t-p3').set(auth(tok));
  expect(res.status).toBe(403);
  expect(res.body.resourceType).toBe('OperationOutcome');
});

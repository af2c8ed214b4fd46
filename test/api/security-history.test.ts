// _history at type and system level for a professional (FHIR R4 §3.1.0.10): only versions of the resources
// they may see, totals and pages included; a system client sees every version.
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { putJson } from '../support/fhir-api';
import type { TestHub } from '../support/test-hub';
import { auth, RPPS, seedInternal, signToken, startSecureHub, TestIssuer, type TestKey } from '../support/security';

const GP = '810000000001';
let issuer: TestIssuer;
let key: TestKey;
let t: TestHub;

const observation = (id: string, subject: string, value: number): Resource =>
  ({ resourceType: 'Observation', id, status: 'final', code: { text: 'weight' }, subject: { reference: `Patient/${subject}` }, valueQuantity: { value } }) as Resource;

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  t = await startSecureHub(issuer);
  await seedInternal(t, [
    { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: RPPS, value: GP.slice(1) }] },
    { resourceType: 'Patient', id: 'A', generalPractitioner: [{ reference: 'Practitioner/gp' }] },
    { resourceType: 'Patient', id: 'Z' },
    observation('obs-a', 'A', 1),
    observation('obs-z', 'Z', 1),
  ]);
  // Second versions, written by a system client.
  const writer = await signToken({ key, issuer: issuer.issuer, scope: 'system/*.cruds' });
  for (const [id, subject] of [['obs-a', 'A'], ['obs-z', 'Z']]) expect((await putJson(t, `/fhir/Observation/${id}`, observation(id, subject, 2), auth(writer))).status).toBe(200);
});
afterAll(async () => {
  await t.close();
  await issuer.stop();
});

const gp = () => signToken({ key, issuer: issuer.issuer, professional: GP, scope: 'user/*.rs' });
const system = () => signToken({ key, issuer: issuer.issuer, scope: 'system/*.rs' });

async function history(path: string, tok: string): Promise<{ total?: number; entries: string[]; bundle: Bundle }> {
  const res = await t.api.get(`/fhir/${path}`).set(auth(tok));
  expect(res.status).toBe(200);
  const bundle = res.body as Bundle;
  return { total: bundle.total, entries: (bundle.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}/${e.resource?.meta?.versionId}`).sort(), bundle };
}

test("type history: a professional gets every version of what they may see, and nothing of the others'", async () => {
  const mine = await history('Observation/_history', await gp());
  expect(mine.entries).toEqual(['Observation/obs-a/1', 'Observation/obs-a/2']);
  expect(mine.total).toBe(2);
  expect((await history('Observation/_history', await system())).total).toBe(4);
  expect((await history('Patient/_history', await gp())).entries).toEqual(['Patient/A/1']);
});

test('system history and its pages hold only what the professional may see', async () => {
  const all = await history('_history', await gp());
  expect(all.entries).toEqual(['Observation/obs-a/1', 'Observation/obs-a/2', 'Patient/A/1', 'Practitioner/gp/1']);
  expect(all.total).toBe(4);
  const page = await history('_history?_count=3', await gp());
  expect(page.entries).toHaveLength(3);
  expect(page.bundle.link?.some((l) => l.relation === 'next')).toBe(true);
  expect((await history('_history', await system())).total).toBe(7);
});

test('instance history keeps its own check: 403 outside the care relationship', async () => {
  expect((await t.api.get('/fhir/Observation/obs-z/_history').set(auth(await gp()))).status).toBe(403);
  expect((await history('Observation/obs-a/_history', await gp())).total).toBe(2);
});

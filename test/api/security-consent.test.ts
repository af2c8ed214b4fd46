// Patient consent per R4 (Consent.provision): provision.period bounds a rule, nested provisions are exceptions
// to their parent (a permit inside a deny, a deny inside a permit), for search, read and compartment search.
import type { Resource } from '@medplum/fhirtypes';
import type { TestHub } from '../support/test-hub';
import { auth, RPPS, seedInternal, signToken, startSecureHub, TestIssuer, type TestKey } from '../support/security';

const GP = '810000000001';
const OTHER = '810000000002';
let issuer: TestIssuer;
let key: TestKey;
let t: TestHub;

const PAST = { start: '2010-01-01', end: '2020-06-30T00:00:00Z' };
const NOW = { start: '2020-01-01T00:00:00+01:00', end: '2999-12-31' };
const FUTURE = { start: '2999' };
const gpActor = { role: { text: 'professional' }, reference: { reference: 'Practitioner/gp' } };

/** A patient both doctors treat, with a consent whose provision is given. */
function withConsent(id: string, provision: object): Resource[] {
  return [
    { resourceType: 'Patient', id, generalPractitioner: [{ reference: 'Practitioner/gp' }, { reference: 'Practitioner/other' }] },
    { resourceType: 'Consent', id: `consent-${id}`, status: 'active', scope: { coding: [{ code: 'patient-privacy' }] }, category: [{ text: 'opposition' }], patient: { reference: `Patient/${id}` }, provision } as Resource,
    { resourceType: 'Observation', id: `obs-${id}`, status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${id}` } },
  ];
}

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  t = await startSecureHub(issuer);
  await seedInternal(t, [
    { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: RPPS, value: GP.slice(1) }] },
    { resourceType: 'Practitioner', id: 'other', identifier: [{ system: RPPS, value: OTHER.slice(1) }] },
    ...withConsent('expired-deny', { type: 'deny', actor: [gpActor], period: PAST }),
    ...withConsent('current-deny', { type: 'deny', actor: [gpActor], period: NOW }),
    ...withConsent('future-deny', { type: 'deny', actor: [gpActor], period: FUTURE }),
    ...withConsent('year-ended-deny', { type: 'deny', actor: [gpActor], period: { end: '2020' } }),
    ...withConsent('deny-all-but-gp', { type: 'deny', provision: [{ type: 'permit', actor: [gpActor] }] }),
    ...withConsent('deny-all-but-gp-expired', { type: 'deny', provision: [{ type: 'permit', actor: [gpActor], period: PAST }] }),
    ...withConsent('permit-but-gp-now', { type: 'permit', provision: [{ type: 'deny', actor: [gpActor], period: NOW }] }),
    ...withConsent('permit-but-gp-later', { type: 'permit', provision: [{ type: 'deny', actor: [gpActor], period: FUTURE }] }),
    // Three levels: everyone but gp denied, and within that permit, gp denied again now.
    ...withConsent('deny-permit-deny', { type: 'deny', provision: [{ type: 'permit', actor: [gpActor], provision: [{ type: 'deny', period: NOW }] }] }),
    ...withConsent('free', { type: 'permit' }),
  ]);
});
afterAll(async () => {
  await t.close();
  await issuer.stop();
});

const token = (professional: string) => signToken({ key, issuer: issuer.issuer, professional, scope: 'user/*.rs' });

async function visible(professional: string): Promise<string[]> {
  const res = await t.api.get('/fhir/Patient?_count=100').set(auth(await token(professional)));
  expect(res.status).toBe(200);
  return ((res.body.entry ?? []) as { resource: Resource }[]).map((e) => e.resource.id!).sort();
}

test('each consent decides for the GP as R4 reads it: period, nested exceptions, deny between them', async () => {
  expect(await visible(GP)).toEqual(['deny-all-but-gp', 'expired-deny', 'free', 'future-deny', 'permit-but-gp-later', 'year-ended-deny'].sort());
});

test('the same consents decide for another doctor who is named nowhere', async () => {
  expect(await visible(OTHER)).toEqual(['current-deny', 'expired-deny', 'free', 'future-deny', 'permit-but-gp-later', 'permit-but-gp-now', 'year-ended-deny'].sort());
});

test('read, compartment search and search of the patient data follow the same decision', async () => {
  const gp = await token(GP);
  expect((await t.api.get('/fhir/Patient/current-deny').set(auth(gp))).status).toBe(403);
  expect((await t.api.get('/fhir/Observation/obs-current-deny').set(auth(gp))).status).toBe(403);
  expect((await t.api.get('/fhir/Patient/current-deny/Observation').set(auth(gp))).body.total).toBe(0);
  expect((await t.api.get('/fhir/Patient/deny-all-but-gp').set(auth(gp))).status).toBe(200);
  expect((await t.api.get('/fhir/Observation?patient=deny-all-but-gp').set(auth(gp))).body.total).toBe(1);
  expect((await t.api.get('/fhir/Patient/expired-deny/Observation').set(auth(gp))).body.total).toBe(1);
  const other = await token(OTHER);
  expect((await t.api.get('/fhir/Observation/obs-deny-all-but-gp').set(auth(other))).status).toBe(403);
});

test('the patient-level operations follow it too: $everything and $summary of an opposing patient are refused', async () => {
  const tok = await token(GP);
  for (const op of ['$everything', '$summary']) {
    const denied = await t.api.get(`/fhir/Patient/current-deny/${op}`).set(auth(tok));
    expect(denied.status).toBe(403);
    expect(denied.body.resourceType).toBe('OperationOutcome');
    const allowed = await t.api.get(`/fhir/Patient/expired-deny/${op}`).set(auth(tok));
    expect(allowed.status).toBe(200);
  }
  const everything = await t.api.get('/fhir/Patient/expired-deny/$everything').set(auth(tok));
  expect(everything.body.entry.map((e: { resource: Resource }) => `${e.resource.resourceType}/${e.resource.id}`)).toEqual(expect.arrayContaining(['Patient/expired-deny', 'Observation/obs-expired-deny']));
});

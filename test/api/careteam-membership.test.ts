// Issue 8: the hub's CareTeam profile requires two health professionals from two organisations, and every
// membership change of a CareTeam is audited (AuditEvent entity.detail member-added / member-removed).
import type { AuditEvent, Bundle, Resource } from '@medplum/fhirtypes';
import { patchJson, postJson, putJson } from '../support/fhir-api';
import type { TestHub } from '../support/test-hub';
import { auth, seedInternal, signToken, startSecureHub, TestIssuer, type TestKey } from '../support/security';

const PROFILE = 'https://fhir-hub.fr/ig/StructureDefinition/fhir-hub-careteam';
const SCOPE = 'system/*.cruds system/AuditEvent.rs';
let issuer: TestIssuer;
let key: TestKey;
let t: TestHub;
let tok: string;

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  t = await startSecureHub(issuer);
  tok = await signToken({ key, issuer: issuer.issuer, scope: SCOPE, extra: { client_id: 'cpts-tool' } });
  await seedInternal(t, [
    { resourceType: 'Patient', id: 'p1', name: [{ family: 'Martin' }] },
    { resourceType: 'Organization', id: 'msp', name: 'MSP' },
    { resourceType: 'Organization', id: 'chu', name: 'CHU' },
    { resourceType: 'Practitioner', id: 'gp', name: [{ family: 'Généraliste' }] },
    { resourceType: 'Practitioner', id: 'kine', name: [{ family: 'Kiné' }] },
    { resourceType: 'Practitioner', id: 'pharma', name: [{ family: 'Pharmacien' }] },
    { resourceType: 'PractitionerRole', id: 'nurse', practitioner: { reference: 'Practitioner/kine' }, organization: { reference: 'Organization/chu' } },
    { resourceType: 'RelatedPerson', id: 'aidant', patient: { reference: 'Patient/p1' } },
  ]);
});
afterAll(async () => {
  await t?.close();
  await issuer?.stop();
});

const team = (participant: object[], extra: object = {}): Resource =>
  ({ resourceType: 'CareTeam', meta: { profile: [PROFILE] }, status: 'active', name: 'Équipe Martin', subject: { reference: 'Patient/p1' }, participant, ...extra }) as Resource;
const gp = { member: { reference: 'Practitioner/gp' }, onBehalfOf: { reference: 'Organization/msp' } };
const nurse = { member: { reference: 'PractitionerRole/nurse' }, onBehalfOf: { reference: 'Organization/chu' } };
const pharma = { member: { reference: 'Practitioner/pharma' }, onBehalfOf: { reference: 'Organization/msp' } };
const aidant = { member: { reference: 'RelatedPerson/aidant' } };
const org = { member: { reference: 'Organization/chu' } };

async function auditOf(teamId: string): Promise<AuditEvent[]> {
  await t.hub.security.trail.flush();
  const res = await t.api.get(`/fhir/AuditEvent?entity=CareTeam/${teamId}&_sort=date`).set(auth(tok));
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent).filter((e) => e.action !== 'R' && e.action !== 'E');
}

const detailsOf = (event: AuditEvent, teamId: string) =>
  (event.entity ?? []).find((e) => e.what?.reference === `CareTeam/${teamId}`)?.detail?.map((d) => `${d.type} ${d.valueString}`).sort() ?? [];

test('the profile: one professional (with a RelatedPerson and an Organization) is 422 naming hub-ct-1; two from two organisations are 201', async () => {
  const one = await postJson(t, '/fhir/CareTeam', team([gp, aidant, org]), auth(tok));
  expect(one.status).toBe(422);
  expect(one.body.resourceType).toBe('OperationOutcome');
  expect(JSON.stringify(one.body)).toMatch(/hub-ct-1/);
  const two = await postJson(t, '/fhir/CareTeam', team([gp, nurse, aidant]), auth(tok));
  expect(two.status).toBe(201);
  // Two professionals of one organisation: the second rule (hub-ct-2).
  const sameOrg = await postJson(t, '/fhir/CareTeam', team([gp, pharma]), auth(tok));
  expect(sameOrg.status).toBe(422);
  expect(JSON.stringify(sameOrg.body)).toMatch(/hub-ct-2/);
});

test('create, update adding one member and removing another, patch and delete: each AuditEvent carries the membership change', async () => {
  expect((await putJson(t, '/fhir/CareTeam/ct1', { ...team([gp, nurse]), id: 'ct1' }, auth(tok))).status).toBe(201);
  expect((await putJson(t, '/fhir/CareTeam/ct1', { ...team([gp, pharma, aidant], { managingOrganization: [{ reference: 'Organization/chu' }] }), id: 'ct1' }, auth(tok))).status).toBe(200);
  // A name-only change: audited, with no membership detail.
  expect((await patchJson(t, '/fhir/CareTeam/ct1', [{ op: 'replace', path: '/name', value: 'Équipe de Mme Martin' }], auth(tok))).status).toBe(200);
  expect((await patchJson(t, '/fhir/CareTeam/ct1', [{ op: 'add', path: '/participant/-', value: nurse }], auth(tok))).status).toBe(200);
  expect((await t.api.delete('/fhir/CareTeam/ct1').set(auth(tok))).status).toBe(204);

  const events = await auditOf('ct1');
  expect(events.map((e) => `${e.action} ${e.subtype?.[0].code}`)).toEqual(['C create', 'U update', 'U update', 'U update', 'D delete']);
  expect(detailsOf(events[0], 'ct1')).toEqual(['member-added Practitioner/gp', 'member-added PractitionerRole/nurse']);
  expect(detailsOf(events[1], 'ct1')).toEqual(['member-added Practitioner/pharma', 'member-added RelatedPerson/aidant', 'member-removed PractitionerRole/nurse']);
  expect(detailsOf(events[2], 'ct1')).toEqual([]);
  expect(detailsOf(events[3], 'ct1')).toEqual(['member-added PractitionerRole/nurse']);
  expect(detailsOf(events[4], 'ct1')).toEqual(['member-removed Practitioner/gp', 'member-removed Practitioner/pharma', 'member-removed PractitionerRole/nurse', 'member-removed RelatedPerson/aidant']);
  // The details are not entities of their own: the event names the team (and its patient) only.
  expect(events[1].entity!.filter((e) => e.role?.code === '4').map((e) => e.what?.reference)).toEqual(['CareTeam/ct1']);
});

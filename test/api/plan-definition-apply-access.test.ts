// PlanDefinition/$apply under access control (FHIR R4 §12.18.4.1; issue 8): the reads and the transaction run as
// the caller, so a professional outside the care team cannot apply a pathway to a patient, and writes are audited.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { issues, postJson, tableCounts } from '../support/fhir-api';
import type { TestHub } from '../support/test-hub';
import { auth, practitioner, seedInternal, signToken, startSecureHub, storedAuditEvents, TestIssuer, type TestKey } from '../support/security';

jest.setTimeout(120_000);

const GP = '810000000011';
const OUTSIDER = '810000000012';
const G15 = 'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante';
let issuer: TestIssuer;
let key: TestKey;
let t: TestHub;

const role = (id: string, who: string, code: string, org: string): Resource =>
  ({ resourceType: 'PractitionerRole', id, practitioner: { reference: `Practitioner/${who}` }, organization: { reference: `Organization/${org}` }, code: [{ coding: [{ system: G15, code }] }] }) as Resource;

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  t = await startSecureHub(issuer);
  const bpco = JSON.parse(readFileSync(join(__dirname, '..', '..', 'profiles', 'PlanDefinition-fhir-hub-parcours-bpco.json'), 'utf8')) as Resource;
  await seedInternal(t, [
    bpco,
    practitioner('gp', GP),
    practitioner('nurse', '810000000013'),
    practitioner('outsider', OUTSIDER),
    { resourceType: 'Organization', id: 'msp', name: 'MSP' },
    { resourceType: 'Organization', id: 'idel', name: 'Cabinet infirmier' },
    role('gp-role', 'gp', '10', 'msp'),
    role('nurse-role', 'nurse', '60', 'idel'),
    { resourceType: 'Patient', id: 'p1', name: [{ family: 'Lefebvre' }] },
    {
      resourceType: 'CareTeam',
      id: 'ct-p1',
      status: 'active',
      subject: { reference: 'Patient/p1' },
      participant: [{ member: { reference: 'Practitioner/gp' } }, { member: { reference: 'PractitionerRole/nurse-role' } }],
    } as Resource,
  ]);
});
afterAll(async () => {
  await t.close();
  await issuer.stop();
});

const token = (professional: string) => signToken({ key, issuer: issuer.issuer, professional, scope: 'user/*.cruds' });
const apply = async (professional: string) =>
  postJson(t, '/fhir/PlanDefinition/fhir-hub-parcours-bpco/$apply', { resourceType: 'Parameters', parameter: [{ name: 'subject', valueString: 'Patient/p1' }, { name: 'practitioner', valueString: 'PractitionerRole/gp-role' }] }, auth(await token(professional)));

test('a professional outside the care team cannot apply a pathway to the patient, and nothing is written', async () => {
  const before = await tableCounts(t);
  const res = await apply(OUTSIDER);
  // The read of the patient runs as the caller: the access rule refuses it, as it refuses a plain read.
  expect(res.status).toBe(403);
  expect(issues(res.body)[0].code).toBe('forbidden');
  expect(await tableCounts(t)).toEqual(before);
});

test('a member of the care team applies it; the CarePlan and its Tasks are audited as created by them', async () => {
  const res = await apply(GP);
  expect(res.status).toBe(201);
  const tasks = await t.api.get(`/fhir/Task?based-on=CarePlan/${res.body.id}&owner=PractitionerRole/nurse-role`).set(auth(await token(GP)));
  expect(tasks.status).toBe(200);
  expect(tasks.body.entry.map((e: { resource: { description: string } }) => e.resource.description.split(' : ')[0]).sort()).toEqual(['Vaccination antigrippale', 'Visite de suivi infirmier']);
  const created = (await storedAuditEvents(t)).filter((e) => e.subtype?.some((s) => s.code === 'create'));
  const entities = created.flatMap((e) => e.entity ?? []).map((x) => x.what?.reference ?? '');
  expect(entities.some((r) => r.includes(`CarePlan/${res.body.id}`))).toBe(true);
  expect(entities.filter((r) => r.includes('Task/')).length).toBeGreaterThanOrEqual(7);
});

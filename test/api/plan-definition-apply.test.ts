// PlanDefinition/$apply (FHIR R4 §12.18.4.1; issue 8): the pathway templates of profiles/ become a CarePlan and
// one Task per action, owned by the care-team member of the right profession; worklists are Task searches.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expressions, issues, postJson, putJson, tableCounts } from '../support/fhir-api';
import { startTestHub, type TestHub } from '../support/test-hub';

jest.setTimeout(120_000);

const G15 = 'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante';
const IG = 'https://fhir-hub.fr/ig/PlanDefinition';
const profession = (code: string, text: string) => ({ coding: [{ system: G15, code }], text });
const plan = (key: string) => JSON.parse(readFileSync(join(__dirname, '..', '..', 'profiles', `PlanDefinition-fhir-hub-parcours-${key}.json`), 'utf8'));
const parameters = (...parameter: Record<string, unknown>[]) => ({ resourceType: 'Parameters', parameter });
const subject = (ref: string) => ({ name: 'subject', valueReference: { reference: ref } });
const GP_ROLE = 'PractitionerRole/gp-msp';
const NURSE_ROLE = 'PractitionerRole/nurse-cabinet';
const PHARMACIST_ROLE = 'PractitionerRole/pharmacist-officine';

let t: TestHub;
async function put(resource: { resourceType: string; id: string; [k: string]: unknown }) {
  const res = await putJson(t, `/fhir/${resource.resourceType}/${resource.id}`, resource);
  if (res.status >= 300) throw new Error(`PUT ${resource.resourceType}/${resource.id}: ${res.status} ${res.text}`);
}

/** A patient whose care team spans an MSP GP, an independent nurse and a pharmacy (three organisations). */
async function seedTerritory() {
  for (const [id, name] of [['msp', 'MSP du Clos Fleuri'], ['cabinet-infirmier', 'Cabinet infirmier Marchand'], ['officine', 'Pharmacie des Tisserands']]) {
    await put({ resourceType: 'Organization', id, name, active: true });
  }
  const people: [string, string, string, string][] = [
    ['gp', 'Moreau', '10', 'msp'],
    ['nurse', 'Marchand', '60', 'cabinet-infirmier'],
    ['pharmacist', 'Benhamou', '21', 'officine'],
  ];
  for (const [id, family, code, org] of people) {
    await put({ resourceType: 'Practitioner', id, name: [{ family }], qualification: [{ code: profession(code, family) }] });
    const roleId = { gp: 'gp-msp', nurse: 'nurse-cabinet', pharmacist: 'pharmacist-officine' }[id]!;
    await put({ resourceType: 'PractitionerRole', id: roleId, active: true, practitioner: { reference: `Practitioner/${id}` }, organization: { reference: `Organization/${org}` }, code: [profession(code, family)] });
  }
  await put({ resourceType: 'Patient', id: 'bpco-1', name: [{ family: 'Lefebvre', given: ['Hélène'] }], birthDate: '1948-03-14' });
  await put({
    resourceType: 'CareTeam',
    id: 'team-bpco-1',
    status: 'active',
    name: 'Équipe de soins de Hélène Lefebvre',
    subject: { reference: 'Patient/bpco-1' },
    managingOrganization: [{ reference: 'Organization/msp' }],
    participant: [
      { role: [profession('10', 'Médecin')], member: { reference: GP_ROLE }, onBehalfOf: { reference: 'Organization/msp' } },
      // No role on the participation: the profession is read from the PractitionerRole.
      { member: { reference: NURSE_ROLE }, onBehalfOf: { reference: 'Organization/cabinet-infirmier' } },
      { role: [profession('21', 'Pharmacien')], member: { reference: PHARMACIST_ROLE }, onBehalfOf: { reference: 'Organization/officine' } },
    ],
  });
  await put({ resourceType: 'Patient', id: 'no-team', name: [{ family: 'Sans' }] });
  for (const key of ['bpco', 'fragilite-icope', 'diabete-type-2']) await put(plan(key));
}

beforeAll(async () => {
  t = await startTestHub();
  await seedTerritory();
});
afterAll(async () => t.close());

type Task = { id: string; status: string; intent: string; owner?: { reference: string }; requester?: { reference: string }; description: string; for: { reference: string }; basedOn: { reference: string }[]; instantiatesCanonical: string; executionPeriod?: { start: string; end: string }; restriction?: { period: { end: string } } };
async function tasksOf(carePlanId: string): Promise<Task[]> {
  const res = await t.api.get(`/fhir/Task?based-on=CarePlan/${carePlanId}&_count=100`);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).map((e: { resource: Task }) => e.resource);
}

describe('PlanDefinition/$apply', () => {
  it('creates the BPCO CarePlan and one Task per action, each owned by the member of its profession', async () => {
    const res = await postJson(t, '/fhir/PlanDefinition/fhir-hub-parcours-bpco/$apply', parameters(subject('Patient/bpco-1'), { name: 'practitioner', valueString: GP_ROLE }));
    expect(res.status).toBe(201);
    const cp = res.body;
    expect(cp).toMatchObject({ resourceType: 'CarePlan', status: 'active', intent: 'plan', subject: { reference: 'Patient/bpco-1' }, author: { reference: GP_ROLE } });
    expect(res.headers.location).toContain(`CarePlan/${cp.id}`);
    expect(cp.instantiatesCanonical).toEqual([`${IG}/fhir-hub-parcours-bpco|0.1.0`]);
    expect(cp.careTeam).toEqual([{ reference: 'CareTeam/team-bpco-1' }]);
    const tasks = await tasksOf(cp.id);
    const actions = plan('bpco').action as { title: string }[];
    expect(tasks).toHaveLength(actions.length);
    expect(cp.activity.map((a: { reference: { reference: string } }) => a.reference.reference).sort()).toEqual(tasks.map((x) => `Task/${x.id}`).sort());
    const ownerOf = (title: string) => tasks.find((x) => x.description.startsWith(title))!.owner?.reference;
    expect(ownerOf('Spirométrie de suivi')).toBe(GP_ROLE);
    expect(ownerOf("Vérification de la technique d'inhalation")).toBe(PHARMACIST_ROLE);
    expect(ownerOf('Visite de suivi infirmier')).toBe(NURSE_ROLE);
    expect(ownerOf('Vaccination antigrippale')).toBe(NURSE_ROLE);
    // No physiotherapist in this team: the team itself owns the task.
    expect(ownerOf("Réentraînement à l'effort")).toBe('CareTeam/team-bpco-1');
    for (const task of tasks) {
      expect(task).toMatchObject({ status: 'requested', intent: 'plan', for: { reference: 'Patient/bpco-1' }, requester: { reference: GP_ROLE }, instantiatesCanonical: `${IG}/fhir-hub-parcours-bpco|0.1.0` });
      expect(task.basedOn).toEqual([{ reference: `CarePlan/${cp.id}` }]);
      expect(task.restriction!.period.end).toBe(task.executionPeriod!.end);
    }
    const inhaler = tasks.find((x) => x.description.startsWith("Vérification de la technique d'inhalation"))!;
    const days = (Date.parse(inhaler.restriction!.period.end) - Date.parse(inhaler.executionPeriod!.start)) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(28);
    expect(days).toBeLessThanOrEqual(31);
  });

  it("puts the nurse's tasks in her worklist, soonest first", async () => {
    const res = await t.api.get(`/fhir/Task?owner=${NURSE_ROLE}&status=requested,accepted,in-progress&_sort=period`);
    expect(res.status).toBe(200);
    const list: Task[] = res.body.entry.map((e: { resource: Task }) => e.resource);
    expect(list.map((x) => x.description.split(' : ')[0])).toEqual(['Visite de suivi infirmier', 'Vaccination antigrippale']);
    expect(list.every((x) => x.owner?.reference === NURSE_ROLE)).toBe(true);
  });

  it('applies a template found by url at type level (diabète de type 2, ICOPE)', async () => {
    const res = await postJson(t, '/fhir/PlanDefinition/$apply', parameters({ name: 'url', valueUri: `${IG}/fhir-hub-parcours-diabete-type-2` }, subject('Patient/bpco-1')));
    expect(res.status).toBe(201);
    const tasks = await tasksOf(res.body.id);
    expect(tasks).toHaveLength(4);
    expect(tasks.find((x) => x.description.startsWith('Éducation thérapeutique'))!.owner!.reference).toBe(NURSE_ROLE);
    const icope = await postJson(t, `/fhir/PlanDefinition/$apply?subject=Patient/no-team&url=${encodeURIComponent(`${IG}/fhir-hub-parcours-fragilite-icope|0.1.0`)}`, parameters());
    expect(icope.status).toBe(201);
    expect(icope.body.careTeam).toBeUndefined();
    const screening = await tasksOf(icope.body.id);
    expect(screening).toHaveLength(7);
    expect(screening.every((x) => x.owner === undefined)).toBe(true);
  });

  it('refuses an unknown subject with 422 naming the parameter, and writes nothing', async () => {
    const before = await tableCounts(t);
    const res = await postJson(t, '/fhir/PlanDefinition/fhir-hub-parcours-bpco/$apply', parameters(subject('Patient/nobody')));
    expect(res.status).toBe(422);
    expect(expressions(res.body)).toEqual(['subject']);
    expect(await tableCounts(t)).toEqual(before);
  });

  it('refuses a missing subject (400), an unknown PlanDefinition (404) and a GET (405)', async () => {
    const missing = await postJson(t, '/fhir/PlanDefinition/fhir-hub-parcours-bpco/$apply', parameters());
    expect(missing.status).toBe(400);
    expect(expressions(missing.body)).toEqual(['subject']);
    const unknown = await postJson(t, '/fhir/PlanDefinition/nope/$apply', parameters(subject('Patient/bpco-1')));
    expect(unknown.status).toBe(404);
    expect(issues(unknown.body)[0].code).toBe('not-found');
    const byUrl = await postJson(t, '/fhir/PlanDefinition/$apply', parameters(subject('Patient/bpco-1'), { name: 'url', valueUri: `${IG}/nope` }));
    expect(byUrl.status).toBe(404);
    expect((await t.api.get('/fhir/PlanDefinition/fhir-hub-parcours-bpco/$apply?subject=Patient/bpco-1')).status).toBe(405);
  });

  it('is advertised in the CapabilityStatement', async () => {
    const res = await t.api.get('/fhir/metadata');
    const pd = res.body.rest[0].resource.find((r: { type: string }) => r.type === 'PlanDefinition');
    expect(pd.operation).toContainEqual({ name: 'apply', definition: 'http://hl7.org/fhir/OperationDefinition/PlanDefinition-apply' });
  });
});

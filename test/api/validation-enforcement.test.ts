// Validation on write (issue 4, point 5): meta.profile and REQUIRED_PROFILES reject with 422 and the full
// OperationOutcome; warnings come back with Prefer: return=OperationOutcome; Bundle entries are held to the same.
import { clean, postDischargeTask } from '../conformance/hub-profiles.fixtures';
import { createResource, issues, patchJson, postJson, putJson, tableCounts } from '../support/fhir-api';
import { startTestHub, type TestHub } from '../support/test-hub';

const FR_CORE_PATIENT = 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient';
const POST_DISCHARGE = 'https://fhir-hub.fr/ig/StructureDefinition/fhir-hub-task-consultation-post-sortie';
const INS_NIR = 'urn:oid:1.2.250.1.213.1.4.8';
const OUTCOME = { Prefer: 'return=OperationOutcome' };

/** A post-discharge follow-up Task without its owner: the hub's profile makes owner 1..1. */
function taskWithoutOwner(withProfile = true) {
  const { id: _id, owner: _owner, meta, ...rest } = clean(postDischargeTask());
  return withProfile ? { ...rest, meta } : rest;
}

const patientWithBadIns = {
  resourceType: 'Patient',
  name: [{ family: 'Martin' }],
  // 123456789012244: the key should be 12, not 44 (a fictitious number, as in the FR Core examples).
  identifier: [{ system: INS_NIR, value: '123456789012244' }],
};

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => t.close());

describe('a resource against the profiles in its meta.profile', () => {
  it('is refused with 422 and the issue at the element when it breaks one, and nothing is written', async () => {
    const before = await tableCounts(t);
    const res = await postJson(t, '/fhir/Task', taskWithoutOwner());
    expect(res.status).toBe(422);
    const errors = issues(res.body).filter((i) => i.severity === 'error');
    expect(errors.map((i) => i.expression)).toContainEqual(['Task.owner']);
    expect(await tableCounts(t)).toEqual(before);
  });

  it('is stored when it meets them', async () => {
    const { id: _id, ...task } = clean(postDischargeTask());
    expect((await postJson(t, '/fhir/Task', task)).status).toBe(201);
  });

  it('refuses an update and a patch that break the profile', async () => {
    const { id: _id, ...task } = clean(postDischargeTask());
    const id = await createResource(t, task);
    const put = await putJson(t, `/fhir/Task/${id}`, { ...taskWithoutOwner(), id });
    expect(put.status).toBe(422);
    expect(issues(put.body).flatMap((i) => i.expression ?? [])).toContain('Task.owner');
    const patch = await patchJson(t, `/fhir/Task/${id}`, [{ op: 'remove', path: '/owner' }]);
    expect(patch.status).toBe(422);
    expect(issues(patch.body).flatMap((i) => i.expression ?? [])).toContain('Task.owner');
    expect((await t.api.get(`/fhir/Task/${id}`)).body.meta.versionId).toBe('1');
  });

  it('refuses a transaction whose entry breaks it, naming the entry', async () => {
    const before = await tableCounts(t);
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', name: [{ family: 'Petit' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: taskWithoutOwner(), request: { method: 'POST', url: 'Task' } },
      ],
    };
    const res = await postJson(t, '/fhir', bundle);
    expect(res.status).toBe(422);
    expect(issues(res.body).flatMap((i) => i.expression ?? [])).toContain('Bundle.entry[1].resource.owner');
    expect(await tableCounts(t)).toEqual(before);
  });

  it('fails only its own entry in a batch', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: { resourceType: 'Patient', name: [{ family: 'Petit' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: taskWithoutOwner(), request: { method: 'POST', url: 'Task' } },
      ],
    };
    const res = await postJson(t, '/fhir', bundle);
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status.slice(0, 3))).toEqual(['201', '422']);
  });
});

describe('warnings', () => {
  it('come back with Prefer: return=OperationOutcome on create, update and patch (a bad INS key)', async () => {
    const created = await postJson(t, '/fhir/Patient', patientWithBadIns, OUTCOME);
    expect(created.status).toBe(201);
    const warning = (body: Parameters<typeof issues>[0]) => issues(body).find((i) => i.severity === 'warning' && i.expression?.[0] === 'Patient.identifier[0].value');
    expect(warning(created.body)?.diagnostics).toMatch(/key 44/);
    expect(issues(created.body)[0].severity).toBe('information');
    const id = created.headers.location.split('/')[5];
    const updated = await putJson(t, `/fhir/Patient/${id}`, { ...patientWithBadIns, id, gender: 'female' }, OUTCOME);
    expect(updated.status).toBe(200);
    expect(warning(updated.body)).toBeDefined();
    const patched = await patchJson(t, `/fhir/Patient/${id}`, [{ op: 'add', path: '/birthDate', value: '1962-08-07' }], OUTCOME);
    expect(patched.status).toBe(200);
    expect(warning(patched.body)).toBeDefined();
  });

  it('come back for the entries of a transaction that asks for them', async () => {
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patientWithBadIns, request: { method: 'POST', url: 'Patient' } }] };
    const res = await postJson(t, '/fhir', bundle, OUTCOME);
    expect(res.status).toBe(200);
    const outcome = res.body.entry[0].response.outcome;
    expect(issues(outcome).map((i) => i.expression?.[0])).toContain('Patient.identifier[0].value');
  });

  it('are not an OperationOutcome the client did not ask for', async () => {
    const res = await postJson(t, '/fhir/Patient', patientWithBadIns);
    expect(res.status).toBe(201);
    expect(res.body.resourceType).toBe('Patient');
  });
});

describe('settings', () => {
  let strict: TestHub;
  beforeAll(async () => {
    strict = await startTestHub({ REQUIRED_PROFILES: `Task=${POST_DISCHARGE};Patient=${FR_CORE_PATIENT}`, IDENTIFIER_CHECK_SEVERITY: 'error' });
  });
  afterAll(async () => strict.close());

  it('REQUIRED_PROFILES applies a profile the resource does not declare', async () => {
    expect((await postJson(t, '/fhir/Task', taskWithoutOwner(false))).status).toBe(201);
    const res = await postJson(strict, '/fhir/Task', taskWithoutOwner(false));
    expect(res.status).toBe(422);
    expect(issues(res.body).flatMap((i) => i.expression ?? [])).toContain('Task.owner');
  });

  it('REQUIRED_PROFILES holds Patients to FR Core (a telecom needs its system there)', async () => {
    const patient = { resourceType: 'Patient', name: [{ family: 'Durand' }], telecom: [{ value: '0102030405' }] };
    const lenient = await postJson(t, '/fhir/Patient', patient);
    const strictRes = await postJson(strict, '/fhir/Patient', patient);
    expect(strictRes.status).toBe(422);
    expect(issues(strictRes.body).flatMap((i) => i.expression ?? [])).toContain('Patient.telecom[0].system');
    expect(lenient.status).toBe(201);
  });

  it('IDENTIFIER_CHECK_SEVERITY=error turns a bad INS key into a refusal', async () => {
    const res = await postJson(strict, '/fhir/Patient', patientWithBadIns);
    expect(res.status).toBe(422);
    expect(issues(res.body).find((i) => i.severity === 'error')?.expression).toEqual(['Patient.identifier[0].value']);
  });
});

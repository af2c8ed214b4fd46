// $validate (FHIR R4 §2.41.5) on a type and on an instance: `profile`, `mode=create|update|delete`,
// the resource as the body or inside Parameters; nothing is ever written.
import { clean, postDischargeTask } from '../conformance/hub-profiles.fixtures';
import { createResource, issues, postJson, tableCounts } from '../support/fhir-api';
import { startTestHub, type TestHub } from '../support/test-hub';

const POST_DISCHARGE = 'https://fhir-hub.fr/ig/StructureDefinition/fhir-hub-task-consultation-post-sortie';
const NOT_HELD = 'https://ehr.example.fr/StructureDefinition/unknown';

let t: TestHub;
let taskId: string;
beforeAll(async () => {
  t = await startTestHub();
  const { id: _id, ...task } = clean(postDischargeTask());
  taskId = await createResource(t, task);
});
afterAll(async () => t.close());

/** A Task that is valid R4 but not a post-discharge follow-up: it has no owner. */
function plainTask(id?: string) {
  const { meta: _meta, owner: _owner, id: _id, ...rest } = clean(postDischargeTask());
  return id ? { ...rest, id } : rest;
}

const errorsOf = (body: Parameters<typeof issues>[0]) => issues(body).filter((i) => i.severity === 'error' || i.severity === 'fatal');
const parameters = (...parameter: Record<string, unknown>[]) => ({ resourceType: 'Parameters', parameter });

describe('POST [type]/$validate', () => {
  it('answers 200 with an information issue for a valid resource, writing nothing', async () => {
    const before = await tableCounts(t);
    const res = await postJson(t, '/fhir/Task/$validate', plainTask());
    expect(res.status).toBe(200);
    expect(errorsOf(res.body)).toEqual([]);
    expect(await tableCounts(t)).toEqual(before);
  });

  it('checks the profile given as a URL parameter or in Parameters', async () => {
    const byUrl = await postJson(t, `/fhir/Task/$validate?profile=${encodeURIComponent(POST_DISCHARGE)}`, plainTask());
    expect(byUrl.status).toBe(200);
    expect(errorsOf(byUrl.body).flatMap((i) => i.expression ?? [])).toContain('Task.owner');
    const inParameters = await postJson(t, '/fhir/Task/$validate', parameters({ name: 'resource', resource: plainTask() }, { name: 'profile', valueUri: POST_DISCHARGE }));
    expect(errorsOf(inParameters.body).flatMap((i) => i.expression ?? [])).toContain('Task.owner');
  });

  it('reports base R4 errors at the element', async () => {
    const res = await postJson(t, '/fhir/Task/$validate', { ...plainTask(), status: 'not-a-status' });
    expect(errorsOf(res.body).flatMap((i) => i.expression ?? [])).toContain('Task.status');
  });

  it('says so when the profile asked for is not held, rather than passing the resource', async () => {
    const res = await postJson(t, `/fhir/Task/$validate?profile=${encodeURIComponent(NOT_HELD)}`, plainTask());
    expect(errorsOf(res.body).map((i) => i.diagnostics)).toContainEqual(expect.stringContaining(NOT_HELD));
  });

  it('mode=create accepts a resource; a bad mode, a body of another type and no body are client errors', async () => {
    expect(errorsOf((await postJson(t, '/fhir/Task/$validate?mode=create', plainTask())).body)).toEqual([]);
    expect((await postJson(t, '/fhir/Task/$validate?mode=replace', plainTask())).status).toBe(400);
    expect((await postJson(t, '/fhir/Task/$validate', { resourceType: 'Patient' })).status).toBe(400);
    expect((await postJson(t, '/fhir/Task/$validate', parameters({ name: 'mode', valueCode: 'create' }))).status).toBe(400);
  });

  it('mode=delete needs an instance', async () => {
    expect((await postJson(t, '/fhir/Task/$validate?mode=delete', plainTask())).status).toBe(400);
  });

  it('is POST only on a type', async () => {
    expect((await t.api.get('/fhir/Task/$validate')).status).toBe(405);
  });
});

describe('[type]/[id]/$validate', () => {
  it('GET validates the stored instance, against a profile too', async () => {
    const plain = await createResource(t, plainTask());
    const res = await t.api.get(`/fhir/Task/${plain}/$validate`);
    expect(res.status).toBe(200);
    expect(errorsOf(res.body)).toEqual([]);
    const against = await t.api.get(`/fhir/Task/${plain}/$validate?profile=${encodeURIComponent(POST_DISCHARGE)}`);
    expect(errorsOf(against.body).flatMap((i) => i.expression ?? [])).toContain('Task.owner');
  });

  it('mode=update checks the id of the body against the instance, and the content', async () => {
    const ok = await postJson(t, `/fhir/Task/${taskId}/$validate?mode=update`, { ...clean(postDischargeTask()), id: taskId });
    expect(errorsOf(ok.body)).toEqual([]);
    const otherId = await postJson(t, `/fhir/Task/${taskId}/$validate?mode=update`, { ...clean(postDischargeTask()), id: 'someone-else' });
    expect(errorsOf(otherId.body).flatMap((i) => i.expression ?? [])).toEqual(['Task.id']);
    const noId = await postJson(
      t,
      `/fhir/Task/${taskId}/$validate`,
      parameters({ name: 'mode', valueCode: 'update' }, { name: 'resource', resource: plainTask() }, { name: 'profile', valueCanonical: POST_DISCHARGE }),
    );
    const found = errorsOf(noId.body);
    expect(found.find((i) => i.expression?.[0] === 'Task.id')?.code).toBe('required');
    expect(found.flatMap((i) => i.expression ?? [])).toContain('Task.owner');
  });

  it('mode=delete finds nothing against deleting a client resource, and 404 for an unknown one', async () => {
    const res = await postJson(t, `/fhir/Task/${taskId}/$validate?mode=delete`, parameters());
    expect(res.status).toBe(200);
    expect(errorsOf(res.body)).toEqual([]);
    expect((await postJson(t, '/fhir/Task/nobody/$validate?mode=delete', parameters())).status).toBe(404);
    expect((await t.api.get('/fhir/Task/nobody/$validate')).status).toBe(404);
  });

  it('is advertised in the CapabilityStatement', async () => {
    const cs = (await t.api.get('/fhir/metadata')).body;
    const task = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Task');
    expect(task.operation).toContainEqual({ name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' });
  });

  it('other operations stay 501', async () => {
    expect((await t.api.get(`/fhir/Task/${taskId}/$everything`)).status).toBe(501);
  });
});

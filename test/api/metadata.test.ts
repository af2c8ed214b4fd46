// capabilities (FHIR R4 §3.1.0.12): GET /metadata states exactly what the hub implements — each claim
// below is checked against the behaviour the rest of the suite proves.
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { resourceTypes } from '../../src/fhir/definitions';
import { startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
let cs: CapabilityStatement;
let byType: Map<string, CapabilityStatementRestResource>;
beforeAll(async () => {
  t = await startTestHub();
  const res = await t.api.get('/fhir/metadata');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/application\/fhir\+json/);
  cs = res.body;
  byType = new Map(cs.rest![0].resource!.map((r) => [r.type, r]));
});
afterAll(async () => t.close());

/** A value each search parameter type accepts, to prove a declared parameter really searches. */
const SAMPLE: Record<string, string> = {
  string: 'x',
  token: 'http://x|y',
  reference: 'Patient/x',
  date: 'ge2020-01-01',
  number: '1',
  quantity: '1',
  uri: 'http://x',
};

/** A composite value: one sample per component, joined by `$`. */
function compositeSample(type: string, name: string): string {
  const def = t.ctx.registry.all(type).find((d) => d.code === name)!;
  return t.ctx.registry.componentsOf(def)!.map((c) => SAMPLE[c.type].replace(/^ge/, '')).join('$');
}

it('is a valid R4 CapabilityStatement for a JSON server', () => {
  expect(cs).toMatchObject({ resourceType: 'CapabilityStatement', status: 'active', kind: 'instance', fhirVersion: '4.0.1' });
  expect(cs.format).toEqual(expect.arrayContaining(['application/fhir+json']));
  expect(cs.format!.some((f) => f.includes('xml'))).toBe(false);
  expect(cs.rest).toHaveLength(1);
  expect(cs.rest![0].mode).toBe('server');
  const problems = t.ctx.validate(cs).filter((i) => i.severity === 'error' || i.severity === 'fatal');
  expect(problems).toEqual([]);
});

it('lists every R4 resource type, each with the interactions and conditional support implemented', () => {
  expect([...byType.keys()].sort()).toEqual([...resourceTypes()].sort());
  for (const r of byType.values()) {
    if (r.type === 'AuditEvent') continue; // the audit log, read-only: next test
    expect(r.interaction!.map((i) => i.code).sort()).toEqual(['create', 'delete', 'history-instance', 'history-type', 'patch', 'read', 'search-type', 'update', 'vread']);
    expect(r).toMatchObject({
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalUpdate: true,
      conditionalDelete: 'single',
      conditionalRead: 'not-supported',
    });
  }
});

it('states AuditEvent as the read-only audit log it is: no write, no include, its own search parameters', async () => {
  const r = byType.get('AuditEvent')!;
  expect(r.interaction!.map((i) => i.code).sort()).toEqual(['history-instance', 'history-type', 'read', 'search-type', 'vread']);
  expect(r).toMatchObject({ updateCreate: false, conditionalCreate: false, conditionalUpdate: false, conditionalDelete: 'not-supported' });
  expect(r.searchInclude).toBeUndefined();
  expect(r.searchRevInclude).toBeUndefined();
  // With AUTH=off nobody is refused, but the log takes no write: 405 (with auth on, the guard's 403 comes first).
  const write = await t.api.post('/fhir/AuditEvent').set('Content-Type', 'application/fhir+json').send(JSON.stringify({ resourceType: 'AuditEvent' }));
  expect(write.status).toBe(405);
});

it('states the system interactions and the patch formats implemented, no more', () => {
  expect(cs.rest![0].interaction!.map((i) => i.code).sort()).toEqual(['batch', 'history-system', 'search-system', 'transaction']);
  const formats = [...(cs.patchFormat ?? [])].sort();
  expect(formats).toEqual(expect.arrayContaining(['application/json-patch+json']));
  for (const f of formats) expect(['application/fhir+json', 'application/json-patch+json']).toContain(f);
  expect(cs.rest![0].operation).toBeUndefined();
});

it.each(['Patient', 'Observation', 'Encounter', 'Practitioner', 'PractitionerRole', 'Organization', 'CarePlan', 'CareTeam', 'AuditEvent'])(
  'every search parameter declared for %s is accepted by a search',
  async (type) => {
    const params = byType.get(type)!.searchParam ?? [];
    expect(params.map((p) => p.name)).toEqual(expect.arrayContaining(['_id', '_lastUpdated']));
    for (const p of params) {
      const value = p.type === 'composite' ? compositeSample(type, p.name) : SAMPLE[p.type];
      const res = await t.api.get(`/fhir/${type}?${encodeURIComponent(p.name)}=${encodeURIComponent(value)}`);
      if (res.status !== 200) throw new Error(`${type}?${p.name} (${p.type}) gave ${res.status}: ${res.text}`);
    }
  },
);

it('declares only _include and _revinclude values a search accepts', async () => {
  // Includes are resolved only when something matches: give every searched type a resource.
  const post = (r: object) => t.api.post(`/fhir/${(r as { resourceType: string }).resourceType}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify(r));
  const pat = (await post({ resourceType: 'Patient' })).body.id;
  await post({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${pat}` } });
  await post({ resourceType: 'CareTeam', subject: { reference: `Patient/${pat}` } });
  for (const type of ['Patient', 'Observation', 'CareTeam']) {
    const r = byType.get(type)!;
    for (const inc of r.searchInclude ?? []) expect((await t.api.get(`/fhir/${type}?_include=${encodeURIComponent(inc)}`)).status).toBe(200);
    for (const rev of r.searchRevInclude ?? []) expect((await t.api.get(`/fhir/${type}?_revinclude=${encodeURIComponent(rev)}`)).status).toBe(200);
  }
});

it('answers HEAD and _format=json, and refuses other methods on /metadata', async () => {
  expect((await t.api.get('/fhir/metadata?_format=json')).status).toBe(200);
  expect((await t.api.head('/fhir/metadata')).status).toBe(200);
  const post = await t.api.post('/fhir/metadata').set('Content-Type', 'application/fhir+json').send('{"resourceType":"Patient"}');
  expect(post.status).toBeGreaterThanOrEqual(400);
  expect(post.status).toBeLessThan(500);
});

it('backs search-system with a working system search', async () => {
  expect((await t.api.get('/fhir?_type=Patient,Observation')).status).toBe(200);
  expect((await t.api.get('/fhir?_id=nothing')).status).toBe(200);
});

it('states each hub its own base URL and search parameters (nothing cached across hubs)', async () => {
  const other = await startTestHub({ BASE_URL: 'https://annuaire.example/fhir' });
  try {
    const res = await other.api.get('/fhir/metadata');
    expect(res.body.implementation.url).toBe('https://annuaire.example/fhir');
  } finally {
    await other.close();
  }
});

it('says where websockets bind, which subscription topics exist, and the Subscription operations', () => {
  const ext = cs.rest![0].extension ?? [];
  expect(ext).toContainEqual({ url: 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-websocket', valueUrl: 'ws://localhost:8080/ws/subscriptions' });
  const topics = ext.filter((e) => e.url.endsWith('capabilitystatement-subscriptiontopic-canonical')).map((e) => e.valueCanonical);
  expect(topics).toEqual(expect.arrayContaining(['https://fhir-hub.fr/SubscriptionTopic/task-changed', 'https://fhir-hub.fr/SubscriptionTopic/document-received']));
  expect(byType.get('Subscription')!.operation!.map((o) => o.name)).toEqual(expect.arrayContaining(['status', 'events', 'get-ws-binding-token', 'delivery-log']));
});

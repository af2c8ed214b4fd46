// The audit trail (IHE BALP): one AuditEvent per interaction, refused ones included, with patient and outcome;
// clients cannot write AuditEvents; SMART Backend Services tokens from the hub's own endpoint.
import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@medplum/fhirtypes';
import { SignJWT } from 'jose';
import { validateBase } from '../../src/conformance/base';
import { registerClient } from '../../src/store/security-store';
import { postJson, putJson } from '../support/fhir-api';
import type { TestHub } from '../support/test-hub';
import { auth, makeKey, RPPS, seedInternal, signToken, startSecureHub, storedAuditEvents, TestIssuer, type TestKey } from '../support/security';

const GP = '810000000001';
let issuer: TestIssuer;
let key: TestKey;
let t: TestHub;

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  t = await startSecureHub(issuer);
  await seedInternal(t, [
    { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: RPPS, value: GP.slice(1) }] },
    { resourceType: 'Patient', id: 'A', generalPractitioner: [{ reference: 'Practitioner/gp' }] },
    { resourceType: 'Patient', id: 'Z' },
  ]);
});
afterAll(async () => {
  await t.close();
  await issuer.stop();
});

const gp = (scope = 'user/*.cruds') => signToken({ key, issuer: issuer.issuer, professional: GP, scope });

/** The audit log's events in the order written (the log is its own table: src/store/audit-log.ts). */
const auditEvents = (): Promise<AuditEvent[]> => storedAuditEvents(t);

/** Runs an interaction and returns the AuditEvents it left. */
async function newEvents(interaction: () => Promise<unknown>): Promise<AuditEvent[]> {
  const before = (await auditEvents()).length;
  await interaction();
  return (await auditEvents()).slice(before);
}

const patientsOf = (e: AuditEvent) => (e.entity ?? []).filter((x) => x.role?.code === '1').map((x) => x.what?.reference);

test.each([
  ['read', () => gp().then((tok) => t.api.get('/fhir/Patient/A').set(auth(tok))), 'read', '0', ['Patient/A']],
  ['search', () => gp().then((tok) => t.api.get('/fhir/Patient?_id=A').set(auth(tok))), 'search-type', '0', ['Patient/A']],
  ['refused read', () => gp().then((tok) => t.api.get('/fhir/Patient/Z').set(auth(tok))), 'read', '4', ['Patient/Z']],
  ['unauthenticated read', () => t.api.get('/fhir/Patient/A'), 'read', '4', ['Patient/A']],
  ['create', () => gp().then((tok) => postJson(t, '/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/A' } }, auth(tok))), 'create', '0', ['Patient/A']],
  ['update', () => gp().then((tok) => putJson(t, '/fhir/Patient/A', { resourceType: 'Patient', id: 'A', active: true, generalPractitioner: [{ reference: 'Practitioner/gp' }] }, auth(tok))), 'update', '0', ['Patient/A']],
  ['refused write', () => gp().then((tok) => postJson(t, '/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/Z' } }, auth(tok))), 'create', '4', ['Patient/Z']],
])('a %s leaves exactly one AuditEvent with its patient and outcome', async (_name, run, subtype, outcome, patients) => {
  const events = await newEvents(run);
  expect(events).toHaveLength(1);
  const [event] = events;
  expect(event.subtype?.[0].code).toBe(subtype);
  expect(event.outcome).toBe(outcome);
  expect(patientsOf(event)).toEqual(patients);
  expect(validateBase(event).filter((i) => i.severity === 'error')).toEqual([]);
});

test('a delete is audited with the patient of what it deleted', async () => {
  const tok = await gp();
  const created = await postJson(t, '/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'y' }, subject: { reference: 'Patient/A' } }, auth(tok));
  const events = await newEvents(() => t.api.delete(`/fhir/Observation/${created.body.id}`).set(auth(tok)));
  expect(events).toHaveLength(1);
  expect(events[0].action).toBe('D');
  expect(patientsOf(events[0])).toEqual(['Patient/A']);
});

test('the requestor is the professional, by reference and national identifier, with the source address', async () => {
  const [event] = await newEvents(async () => t.api.get('/fhir/Patient/A').set(auth(await gp())));
  const requestor = event.agent.find((a) => a.requestor)!;
  expect(requestor.who?.reference).toBe('Practitioner/gp');
  expect(requestor.who?.identifier?.value).toBe(GP);
  expect(requestor.network?.address).toBeTruthy();
});

test('clients cannot write AuditEvents, by any path', async () => {
  const tok = await gp('user/*.cruds user/AuditEvent.cruds');
  const [existing] = await auditEvents();
  const attempt = { resourceType: 'AuditEvent', type: { code: 'rest' }, recorded: new Date().toISOString(), agent: [{ requestor: true }], source: { observer: { display: 'x' } } };
  expect((await postJson(t, '/fhir/AuditEvent', attempt, auth(tok))).status).toBe(403);
  expect((await putJson(t, `/fhir/AuditEvent/${existing.id}`, { ...attempt, id: existing.id }, auth(tok))).status).toBe(403);
  expect((await t.api.delete(`/fhir/AuditEvent/${existing.id}`).set(auth(tok))).status).toBe(403);
  const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: attempt, request: { method: 'POST', url: 'AuditEvent' } }] };
  expect((await postJson(t, '/fhir', bundle, auth(tok))).status).toBe(403);
});

test('AuditEvents are searchable with an audit scope only, and only for the patients one cares for', async () => {
  await t.api.get('/fhir/Patient/A').set(auth(await gp()));
  await t.hub.security.trail.flush();
  expect((await t.api.get('/fhir/AuditEvent?patient=Patient/A').set(auth(await gp()))).status).toBe(403);
  const auditor = await gp('user/*.rs user/AuditEvent.rs');
  const mine = await t.api.get('/fhir/AuditEvent?patient=Patient/A&_summary=count').set(auth(auditor));
  expect(mine.status).toBe(200);
  expect(mine.body.total).toBeGreaterThan(0);
  expect((await t.api.get('/fhir/AuditEvent?patient=Patient/Z&_summary=count').set(auth(auditor))).body.total).toBe(0);
});

describe('SMART Backend Services', () => {
  let clientKey: TestKey;
  const tokenUrl = 'http://localhost:8080/auth/token';

  beforeAll(async () => {
    clientKey = await makeKey('c1', 'ES384');
    await registerClient(t.ctx.db, { clientId: 'his-1', jwks: JSON.stringify({ keys: [clientKey.publicJwk] }), scope: 'system/Patient.rs system/Observation.cruds' });
  });

  const assertion = (claims: { exp?: number; jti?: string; aud?: string } = {}) =>
    new SignJWT({ jti: claims.jti ?? randomUUID() })
      .setProtectedHeader({ alg: 'ES384', kid: 'c1' })
      .setIssuer('his-1')
      .setSubject('his-1')
      .setAudience(claims.aud ?? tokenUrl)
      .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 240)
      .sign(clientKey.privateKey);

  const requestToken = async (clientAssertion: string, scope = 'system/Patient.rs') =>
    t.api.post('/auth/token').type('form').send({ grant_type: 'client_credentials', scope, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: clientAssertion });

  test('a signed assertion gets a token of at most five minutes, with the scopes granted, that the hub accepts', async () => {
    const res = await requestToken(await assertion(), 'system/Patient.rs system/Practitioner.rs');
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('bearer');
    expect(res.body.expires_in).toBeLessThanOrEqual(300);
    expect(res.body.scope).toBe('system/Patient.rs');
    const search = await t.api.get('/fhir/Patient?_summary=count').set(auth(res.body.access_token));
    expect(search.status).toBe(200);
    expect(search.body.total).toBe(2);
    expect((await t.api.get('/fhir/Practitioner').set(auth(res.body.access_token))).status).toBe(403);
  });

  test('a replayed jti, a far expiry, a wrong audience or an unknown client are refused', async () => {
    const once = await assertion();
    expect((await requestToken(once)).status).toBe(200);
    const replay = await requestToken(once);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');
    expect((await requestToken(await assertion({ exp: Math.floor(Date.now() / 1000) + 3600 }))).status).toBe(401);
    expect((await requestToken(await assertion({ aud: 'https://elsewhere/token' }))).status).toBe(401);
    const stranger = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES384' }).setIssuer('nobody').setSubject('nobody').setAudience(tokenUrl).setExpirationTime('2m').sign(clientKey.privateKey);
    expect((await requestToken(stranger)).body.error).toBe('invalid_client');
    expect((await requestToken(await assertion(), 'system/Practitioner.rs')).body.error).toBe('invalid_scope');
  });
});

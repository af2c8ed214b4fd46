// Issue 5: a system client registered for FINESS writes DocumentReferences and Communications for its own
// établissements only (create, update, patch, transaction entries); a client registered for none keeps its scopes only.
import type { Resource } from '@medplum/fhirtypes';
import { setClientFiness } from '../../src/store/client-finess';
import { registerClient } from '../../src/store/security-store';
import { patchJson, postJson, putJson } from '../support/fhir-api';
import type { TestHub } from '../support/test-hub';
import { auth, seedInternal, signToken, startSecureHub, TestIssuer, type TestKey } from '../support/security';

const MINE = '459900114';
const OTHER = '459900106';
const FINESS = 'https://finess.esante.gouv.fr';
const SCOPE = 'system/DocumentReference.cruds system/Communication.cruds system/Organization.rs system/PractitionerRole.rs system/Bundle.c';
let issuer: TestIssuer;
let key: TestKey;
let t: TestHub;

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  t = await startSecureHub(issuer);
  const jwks = JSON.stringify({ keys: [key.publicJwk] });
  await registerClient(t.ctx.db, { clientId: 'his-chu', jwks, scope: SCOPE });
  await setClientFiness(t.ctx.db, 'his-chu', [MINE]);
  await registerClient(t.ctx.db, { clientId: 'dpi-free', jwks, scope: SCOPE });
  await seedInternal(t, [
    { resourceType: 'Patient', id: 'p1', name: [{ family: 'Martin' }] },
    { resourceType: 'Organization', id: 'chu', name: 'CHU', identifier: [{ system: FINESS, value: MINE }] },
    { resourceType: 'Organization', id: 'clinic', name: 'Clinique', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.2', value: `1${OTHER}` }] },
    { resourceType: 'PractitionerRole', id: 'chu-role', organization: { reference: 'Organization/chu' } },
    { resourceType: 'PractitionerRole', id: 'clinic-role', organization: { reference: 'Organization/clinic' } },
    docRef('theirs', 'Organization/clinic'),
  ]);
});
afterAll(async () => {
  await t?.close();
  await issuer?.stop();
});

const token = (clientId: string) => signToken({ key, issuer: issuer.issuer, scope: SCOPE, extra: { client_id: clientId } });

function docRef(id: string | undefined, custodian?: string, author?: string): Resource {
  return {
    resourceType: 'DocumentReference',
    ...(id ? { id } : {}),
    status: 'current',
    subject: { reference: 'Patient/p1' },
    ...(custodian ? { custodian: { reference: custodian } } : {}),
    ...(author ? { author: [{ reference: author }] } : {}),
    content: [{ attachment: { contentType: 'text/plain', data: 'Qm9uam91cg==' } }],
  } as Resource;
}

const communication = (sender: object | undefined, id?: string): Resource =>
  ({ resourceType: 'Communication', ...(id ? { id } : {}), status: 'completed', subject: { reference: 'Patient/p1' }, ...(sender ? { sender } : {}) }) as Resource;

/** The 403 and its forbidden issue (a transaction's answer first names the failed entry). */
function refusal(res: { status: number; body: { resourceType: string; issue: { code: string; diagnostics: string; expression?: string[] }[] } }, expression: string) {
  expect(res.status).toBe(403);
  expect(res.body.resourceType).toBe('OperationOutcome');
  const found = res.body.issue.find((i) => i.code === 'forbidden')!;
  expect(found.expression).toEqual([expression]);
  expect(found.diagnostics).toContain(`registered for FINESS ${MINE}`);
  return found.diagnostics;
}

test('DocumentReference: created for its own FINESS (custodian, or an author Organization); another one is refused naming custodian', async () => {
  const tok = await token('his-chu');
  expect((await postJson(t, '/fhir/DocumentReference', docRef(undefined, 'Organization/chu'), auth(tok))).status).toBe(201);
  expect((await postJson(t, '/fhir/DocumentReference', docRef(undefined, undefined, 'Organization/chu'), auth(tok))).status).toBe(201);
  // A logical reference by FINESS identifier counts too.
  const logical = { ...docRef(undefined), custodian: { identifier: { system: FINESS, value: MINE } } };
  expect((await postJson(t, '/fhir/DocumentReference', logical, auth(tok))).status).toBe(201);

  const other = await postJson(t, '/fhir/DocumentReference', docRef(undefined, 'Organization/clinic'), auth(tok));
  expect(refusal(other, 'DocumentReference.custodian')).toMatch(/is for FINESS 459900106/);
  const none = await postJson(t, '/fhir/DocumentReference', docRef(undefined), auth(tok));
  expect(refusal(none, 'DocumentReference.custodian')).toMatch(/names no établissement with a FINESS/);
});

test('DocumentReference update and patch: moving it to another FINESS, or changing another établissement\'s document, is refused', async () => {
  const tok = await token('his-chu');
  expect((await putJson(t, '/fhir/DocumentReference/d1', docRef('d1', 'Organization/chu'), auth(tok))).status).toBe(201);
  expect((await putJson(t, '/fhir/DocumentReference/d1', { ...docRef('d1', 'Organization/chu'), description: 'v2' }, auth(tok))).status).toBe(200);
  refusal(await putJson(t, '/fhir/DocumentReference/d1', docRef('d1', 'Organization/clinic'), auth(tok)), 'DocumentReference.custodian');
  refusal(await patchJson(t, '/fhir/DocumentReference/d1', [{ op: 'replace', path: '/custodian/reference', value: 'Organization/clinic' }], auth(tok)), 'DocumentReference.custodian');
  // Taking over the clinic's document by naming itself custodian.
  const takeover = await putJson(t, '/fhir/DocumentReference/theirs', docRef('theirs', 'Organization/chu'), auth(tok));
  expect(refusal(takeover, 'DocumentReference.custodian')).toMatch(/stored DocumentReference\/theirs is not one of theirs/);
  const patched = await patchJson(t, '/fhir/DocumentReference/d1', [{ op: 'add', path: '/description', value: 'v3' }], auth(tok));
  expect(patched.status).toBe(200);
});

test('Communication: the sender must be its Organization, or a PractitionerRole of it', async () => {
  const tok = await token('his-chu');
  expect((await postJson(t, '/fhir/Communication', communication({ reference: 'Organization/chu' }), auth(tok))).status).toBe(201);
  expect((await postJson(t, '/fhir/Communication', communication({ reference: 'PractitionerRole/chu-role' }), auth(tok))).status).toBe(201);
  expect(refusal(await postJson(t, '/fhir/Communication', communication({ reference: 'PractitionerRole/clinic-role' }), auth(tok)), 'Communication.sender')).toMatch(/is for FINESS 459900106/);
  refusal(await postJson(t, '/fhir/Communication', communication(undefined), auth(tok)), 'Communication.sender');
  expect((await putJson(t, '/fhir/Communication/c1', communication({ reference: 'Organization/chu' }, 'c1'), auth(tok))).status).toBe(201);
  refusal(await putJson(t, '/fhir/Communication/c1', communication({ reference: 'Organization/clinic' }, 'c1'), auth(tok)), 'Communication.sender');
});

test('transaction and batch entries: an Organization created in the same transaction counts; a refused entry rolls the transaction back', async () => {
  const tok = await token('his-chu');
  const ok = await postJson(t, '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: 'urn:uuid:9d1c2f4e-0000-4000-8000-000000000001', resource: { resourceType: 'Organization', name: 'CHU site 2', identifier: [{ system: FINESS, value: MINE }] }, request: { method: 'POST', url: 'Organization' } },
      { resource: docRef(undefined, 'urn:uuid:9d1c2f4e-0000-4000-8000-000000000001'), request: { method: 'POST', url: 'DocumentReference' } },
      { resource: communication({ reference: 'urn:uuid:9d1c2f4e-0000-4000-8000-000000000001' }), request: { method: 'POST', url: 'Communication' } },
    ],
  }, auth(await signToken({ key, issuer: issuer.issuer, scope: `${SCOPE} system/Organization.c`, extra: { client_id: 'his-chu' } })));
  expect(ok.status).toBe(200);
  expect(ok.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201 Created', '201 Created', '201 Created']);

  const before = (await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource WHERE res_type IN ('DocumentReference', 'Communication')`)).rows[0].n;
  const refused = await postJson(t, '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: docRef(undefined, 'Organization/chu'), request: { method: 'POST', url: 'DocumentReference' } },
      { resource: communication({ reference: 'Organization/clinic' }, 'c2'), request: { method: 'PUT', url: 'Communication/c2' } },
    ],
  }, auth(tok));
  refusal(refused, 'Bundle.entry[1].resource.sender');
  const after = (await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource WHERE res_type IN ('DocumentReference', 'Communication')`)).rows[0].n;
  expect(after).toBe(before);

  const batch = await postJson(t, '/fhir', {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [
      { resource: docRef(undefined, 'Organization/chu'), request: { method: 'POST', url: 'DocumentReference' } },
      { resource: docRef(undefined, 'Organization/clinic'), request: { method: 'POST', url: 'DocumentReference' } },
    ],
  }, auth(tok));
  expect(batch.status).toBe(200);
  expect(batch.body.entry[0].response.status).toBe('201 Created');
  expect(batch.body.entry[1].response.status).toBe('403');
  const outcome = batch.body.entry[1].response.outcome;
  expect(JSON.stringify(outcome)).toContain('registered for FINESS 459900114');
  expect(outcome.issue.flatMap((i: { expression?: string[] }) => i.expression ?? [])).toContain('DocumentReference.custodian');
});

test('a client registered for no FINESS keeps its scopes only', async () => {
  const tok = await token('dpi-free');
  expect((await postJson(t, '/fhir/DocumentReference', docRef(undefined, 'Organization/clinic'), auth(tok))).status).toBe(201);
  expect((await postJson(t, '/fhir/Communication', communication(undefined), auth(tok))).status).toBe(201);
  expect((await putJson(t, '/fhir/DocumentReference/theirs', { ...docRef('theirs', 'Organization/clinic'), description: 'annotated' }, auth(tok))).status).toBe(200);
});

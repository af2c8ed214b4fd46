// Binary under the care relationship (FHIR R4 Binary.securityContext): a professional reads and writes the Binaries
// whose securityContext is a patient they care for, or a resource of such a patient; never the others.
import type { Resource } from '@medplum/fhirtypes';
import { auth, RPPS, seedInternal, signToken, startSecureHub, TestIssuer, type TestKey } from '../support/security';
import type { TestHub } from '../support/test-hub';

const GP = '810000000001'; // cares for A
let issuer: TestIssuer;
let key: TestKey;
let t: TestHub;
const json = { 'Content-Type': 'application/fhir+json' };
const bytes = (text: string) => Buffer.from(text).toString('base64');

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  t = await startSecureHub(issuer);
  await seedInternal(t, [
    { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: RPPS, value: GP.slice(1) }] },
    { resourceType: 'Patient', id: 'A' },
    { resourceType: 'Patient', id: 'B' },
    { resourceType: 'CareTeam', id: 'ct-a', status: 'active', subject: { reference: 'Patient/A' }, participant: [{ member: { reference: 'Practitioner/gp' } }] },
    { resourceType: 'DocumentReference', id: 'doc-a', status: 'current', subject: { reference: 'Patient/A' }, content: [{ attachment: { contentType: 'text/plain', url: 'Binary/via-doc-a' } }] },
    { resourceType: 'DocumentReference', id: 'doc-b', status: 'current', subject: { reference: 'Patient/B' }, content: [{ attachment: { contentType: 'text/plain', url: 'Binary/via-doc-b' } }] },
    { resourceType: 'Binary', id: 'of-a', contentType: 'text/plain', securityContext: { reference: 'Patient/A' }, data: bytes('about A') },
    { resourceType: 'Binary', id: 'of-b', contentType: 'text/plain', securityContext: { reference: 'Patient/B' }, data: bytes('about B') },
    { resourceType: 'Binary', id: 'via-doc-a', contentType: 'text/plain', securityContext: { reference: 'DocumentReference/doc-a' }, data: bytes('letter of A') },
    { resourceType: 'Binary', id: 'via-doc-b', contentType: 'text/plain', securityContext: { reference: 'DocumentReference/doc-b' }, data: bytes('letter of B') },
    { resourceType: 'Binary', id: 'no-context', contentType: 'text/plain', data: bytes('whose?') },
  ] as Resource[]);
});
afterAll(async () => {
  await t.close();
  await issuer.stop();
});

const gp = () => signToken({ key, issuer: issuer.issuer, professional: GP, scope: 'user/*.cruds' });

test('a professional reads the Binaries of the patients they care for, through the patient or one of its resources', async () => {
  const tok = await gp();
  for (const id of ['of-a', 'via-doc-a']) expect((await t.api.get(`/fhir/Binary/${id}`).set(auth(tok))).status).toBe(200);
  for (const id of ['of-b', 'via-doc-b', 'no-context']) {
    const res = await t.api.get(`/fhir/Binary/${id}`).set(auth(tok));
    expect(res.status).toBe(403);
  }
  const search = await t.api.get('/fhir/Binary').set(auth(tok));
  expect(search.body.entry.map((e: { resource: Resource }) => e.resource.id).sort()).toEqual(['of-a', 'via-doc-a']);
});

test('a professional stores a Binary for a patient they care for, and no other', async () => {
  const tok = await gp();
  const mine = await t.api.post('/fhir/Binary').set(auth(tok)).set(json).send(JSON.stringify({ resourceType: 'Binary', contentType: 'text/plain', securityContext: { reference: 'Patient/A' }, data: bytes('note') }));
  expect(mine.status).toBe(201);
  const other = await t.api.post('/fhir/Binary').set(auth(tok)).set(json).send(JSON.stringify({ resourceType: 'Binary', contentType: 'text/plain', securityContext: { reference: 'Patient/B' }, data: bytes('note') }));
  expect(other.status).toBe(403);
  const none = await t.api.post('/fhir/Binary').set(auth(tok)).set(json).send(JSON.stringify({ resourceType: 'Binary', contentType: 'text/plain', data: bytes('note') }));
  expect(none.status).toBe(403);
});

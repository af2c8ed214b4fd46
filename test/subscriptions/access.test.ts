// Subscriptions under the security layer (R4 §2.46.8 "Safety and security"): a subscription sees only what its owner
// may see, credentials in channel headers never come back, and only the owner reads or changes a subscription.
import { startSubscriptions, type SubscriptionsHandle } from '../../src/subscriptions';
import { auth, practitioner, seedInternal, signToken, startSecureHub, TestIssuer, type TestKey } from '../support/security';
import type { TestHub } from '../support/test-hub';
import { Receiver, testOptions, waitFor } from './support';

const GP = '810000000001'; // in patient A's care team
const OUTSIDER = '810000000002'; // cares for nobody
const SECRET = 'Bearer s3cret-of-the-receiver';

let issuer: TestIssuer;
let key: TestKey;
let t: TestHub;
let worker: SubscriptionsHandle;
const receiver = new Receiver();

const token = (professional: string) => signToken({ key, issuer: issuer.issuer, professional, scope: 'user/*.cruds' });
const systemToken = () => signToken({ key, issuer: issuer.issuer, scope: 'system/*.cruds' });
const json = { 'Content-Type': 'application/fhir+json' };

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  await receiver.start();
  t = await startSecureHub(issuer, { SUBSCRIPTION_ENDPOINT_ALLOW: 'http://127.0.0.1' });
  worker = startSubscriptions(t.ctx, testOptions());
  await seedInternal(t, [
    practitioner('gp', GP),
    practitioner('outsider', OUTSIDER),
    { resourceType: 'Patient', id: 'A', name: [{ family: 'Cared-for' }] },
    { resourceType: 'Patient', id: 'C', name: [{ family: 'Stranger' }] },
    { resourceType: 'CareTeam', id: 'ct-a', status: 'active', subject: { reference: 'Patient/A' }, participant: [{ member: { reference: 'Practitioner/gp' } }] },
  ]);
});
afterAll(async () => {
  await worker.stop();
  await t.close();
  await issuer.stop();
  await receiver.stop();
});

async function subscribe(tok: string, criteria: string, extra: Record<string, unknown> = {}): Promise<any> {
  const body = { resourceType: 'Subscription', status: 'active', reason: 'follow my patients', criteria, channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/fhir+json', header: [`Authorization: ${SECRET}`] }, ...extra };
  const res = await t.api.post('/fhir/Subscription').set(auth(tok)).set(json).send(JSON.stringify(body));
  expect(res.status).toBe(201);
  return res.body;
}

async function waitActive(tok: string, id: string): Promise<void> {
  await waitFor(`Subscription/${id} active`, async () => (await t.api.get(`/fhir/Subscription/${id}`).set(auth(tok))).body.status === 'active');
}

async function writeTask(patient: string, description: string): Promise<string> {
  const res = await t.api.post('/fhir/Task').set(auth(await systemToken())).set(json).send(JSON.stringify({ resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: `Patient/${patient}` }, description }));
  expect(res.status).toBe(201);
  return res.body.id;
}

test('a subscription is told only of what its owner may see', async () => {
  const gp = await token(GP);
  const outsider = await token(OUTSIDER);
  const mine = await subscribe(gp, 'Task?status=requested', { channel: { type: 'rest-hook', endpoint: `${receiver.url}/gp`, payload: 'application/fhir+json' } });
  const theirs = await subscribe(outsider, 'Task?status=requested', { channel: { type: 'rest-hook', endpoint: `${receiver.url}/outsider`, payload: 'application/fhir+json' } });
  await waitActive(gp, mine.id);
  await waitActive(outsider, theirs.id);
  receiver.requests.length = 0;
  const forA = await writeTask('A', 'for the cared-for patient');
  const forC = await writeTask('C', 'for a stranger');
  await waitFor('the GP notification', () => receiver.requests.some((r) => r.url === `/hook/gp/Task/${forA}`));
  // Let the worker match the second write too before checking nothing else came.
  await waitFor('both events matched', async () => (await t.ctx.db.query(`SELECT 1 FROM subscription_cursor c WHERE c.last_seq >= (SELECT max(seq) FROM outbox)`)).rows.length === 1);
  await new Promise((r) => setTimeout(r, 500));
  expect(receiver.requests.map((r) => r.url).sort()).toEqual([`/hook/gp/Task/${forA}`]);
  expect(forC).toBeDefined();
  const replay = await t.api.get(`/fhir/Subscription/${theirs.id}/$events`).set(auth(outsider));
  expect(replay.status).toBe(200);
  expect(replay.body.entry[0].resource.parameter.find((p: any) => p.name === 'events-since-subscription-start').valueString).toBe('0');
});

test('credentials in channel headers are sent to the endpoint and never returned', async () => {
  const gp = await token(GP);
  const created = await subscribe(gp, 'Task?status=requested');
  // The client asked for active: only the handshake makes it so.
  expect(created.status).toBe('requested');
  expect(created.channel.header).toEqual(['Authorization: ***']);
  await waitActive(gp, created.id);
  const handshake = receiver.requests.find((r) => r.url === '/hook' && r.method === 'POST');
  expect(handshake?.headers.authorization).toBe(SECRET);

  const read = await t.api.get(`/fhir/Subscription/${created.id}`).set(auth(gp));
  // The read, changed and sent back with the masked header, keeps the stored credential.
  const put = await t.api.put(`/fhir/Subscription/${created.id}`).set(auth(gp)).set(json).send(JSON.stringify({ ...read.body, reason: 'renamed', status: 'active' }));
  expect(put.status).toBe(200);
  await waitActive(gp, created.id);
  receiver.requests.length = 0;
  const taskId = await writeTask('A', 'after the update');
  const delivered = await waitFor('delivery after the update', () => receiver.requests.find((r) => r.url === `/hook/Task/${taskId}`));
  expect(delivered.headers.authorization).toBe(SECRET);

  const texts = [
    (await t.api.get(`/fhir/Subscription/${created.id}`).set(auth(gp))).text,
    (await t.api.get(`/fhir/Subscription?_id=${created.id}`).set(auth(gp))).text,
    (await t.api.get(`/fhir/Subscription/${created.id}/_history`).set(auth(gp))).text,
    (await t.api.get(`/fhir/Subscription/${created.id}/_history/1`).set(auth(gp))).text,
    (await t.api.get(`/fhir/Subscription/_history`).set(auth(await systemToken()))).text,
    put.text,
  ];
  for (const text of texts) {
    expect(text).toContain(created.id);
    expect(text).not.toContain('s3cret');
  }
  const stored = await t.ctx.db.query<{ content: string }>(`SELECT content FROM resource_history WHERE id = $1`, [created.id]);
  expect(stored.rows.length).toBeGreaterThan(1);
  for (const row of stored.rows) expect(row.content ?? '').not.toContain('s3cret');
});

test('only the owner reads the status, events and delivery log of a subscription, or changes it', async () => {
  const gp = await token(GP);
  const outsider = await token(OUTSIDER);
  // The owner is whoever creates it: an owner named by the client is replaced.
  const ext = [{ url: 'https://fhir-hub.fr/StructureDefinition/subscription-owner', valueReference: { reference: 'Practitioner/outsider' } }];
  const sub = await subscribe(gp, 'Task?status=requested', { extension: ext });
  expect(sub.extension).toEqual([{ url: ext[0].url, valueReference: { reference: 'Practitioner/gp', display: GP } }]);
  await waitActive(gp, sub.id);
  await writeTask('A', 'to log');
  await waitFor('a logged delivery', async () => {
    const log = await t.api.get(`/fhir/Subscription/${sub.id}/$delivery-log`).set(auth(gp));
    return log.body.parameter?.some((p: any) => p.part.some((x: any) => x.name === 'kind' && x.valueCode === 'event-notification'));
  });
  const log = await t.api.get(`/fhir/Subscription/${sub.id}/$delivery-log`).set(auth(gp));
  const attempt = log.body.parameter.find((p: any) => p.part.some((x: any) => x.valueCode === 'event-notification'));
  expect(attempt.part).toEqual(
    expect.arrayContaining([
      { name: 'httpStatus', valueInteger: 200 },
      { name: 'eventNumber', valueInteger64: '1' },
      expect.objectContaining({ name: 'latencyMs' }),
      expect.objectContaining({ name: 'time' }),
    ]),
  );
  const status = await t.api.get(`/fhir/Subscription/${sub.id}/$status`).set(auth(gp));
  expect(status.status).toBe(200);
  expect(status.body.entry[0].resource.parameter.find((p: any) => p.name === 'status').valueCode).toBe('active');
  // $status at type level: the caller's own subscriptions.
  const mine = await t.api.get('/fhir/Subscription/$status').set(auth(outsider));
  expect(mine.status).toBe(200);
  expect(mine.text).not.toContain(sub.id);

  for (const op of ['$status', '$events', '$delivery-log']) {
    const res = await t.api.get(`/fhir/Subscription/${sub.id}/${op}`).set(auth(outsider));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toMatch(/is not yours/);
  }
  const put = await t.api.put(`/fhir/Subscription/${sub.id}`).set(auth(outsider)).set(json).send(JSON.stringify({ ...sub, status: 'off' }));
  expect(put.status).toBe(403);
  expect(put.body.issue[0].diagnostics).toMatch(/belongs to Practitioner\/gp/);
  const del = await t.api.delete(`/fhir/Subscription/${sub.id}`).set(auth(outsider));
  expect(del.status).toBe(403);
  expect((await t.api.get(`/fhir/Subscription/${sub.id}`).set(auth(gp))).body.status).toBe('active');
  expect((await t.api.delete(`/fhir/Subscription/${sub.id}`).set(auth(gp))).status).toBe(204);
});

test('a subscription the hub cannot serve is refused with a 422 that says why', async () => {
  const gp = await token(GP);
  const cases: [Record<string, unknown>, RegExp, string][] = [
    [{ criteria: 'Task?status=requested', channel: { type: 'rest-hook', endpoint: 'https://evil.example/hook' } }, /not in the allowed list/, 'Subscription.channel'],
    [{ criteria: 'Task?status=requested', channel: { type: 'email', endpoint: 'mailto:a@b.fr' } }, /"email" is not supported/, 'Subscription.channel'],
    [{ criteria: 'Task?no-such-param=1', channel: { type: 'rest-hook', endpoint: receiver.url } }, /Criteria cannot be evaluated/, 'Subscription.criteria'],
    [{ criteria: 'https://fhir-hub.fr/SubscriptionTopic/nothing', meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription'] }, channel: { type: 'rest-hook', endpoint: receiver.url } }, /Unknown subscription topic/, 'Subscription.criteria'],
  ];
  for (const [fields, message, expression] of cases) {
    const res = await t.api.post('/fhir/Subscription').set(auth(gp)).set(json).send(JSON.stringify({ resourceType: 'Subscription', status: 'requested', reason: 'bad', ...fields }));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual([expression]);
    expect(res.body.issue[0].diagnostics).toMatch(message);
  }
});

// Two hub processes on one PostgreSQL database (issue 6): each event is delivered once, in order, whichever
// process took the write; a websocket bound to one process hears of writes taken by the other.
import WebSocket from 'ws';
import { freePort, killAll, sleep, startHub, type HubProcess } from './support/hub-process';
import { createEmptyPostgresDb, type EmptyPostgresDb } from './support/postgres-db';
import { Receiver, waitFor } from './support/receiver';

jest.setTimeout(180_000);

let db: EmptyPostgresDb;
let receiver: Receiver;
let a: HubProcess;
let b: HubProcess;

beforeAll(async () => {
  db = await createEmptyPostgresDb();
  receiver = new Receiver(await freePort());
  await receiver.up();
  const env = { DATABASE_URL: db.url, DEMO: '0', SUBSCRIPTION_ENDPOINT_ALLOW: `http://127.0.0.1:${receiver.port}/` };
  [a, b] = await Promise.all([startHub(env), startHub(env)]);
});
afterAll(async () => {
  await killAll();
  await receiver?.down();
  await db?.drop();
});

async function post(hub: HubProcess, type: string, body: unknown): Promise<string> {
  const res = await fetch(`${hub.origin}/fhir/${type}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function active(hub: HubProcess, id: string): Promise<void> {
  await waitFor(`Subscription/${id} active`, async () => ((await (await fetch(`${hub.origin}/fhir/Subscription/${id}`)).json()) as { status: string }).status === 'active');
}

const task = (owner: string, i: number) => ({ resourceType: 'Task', status: 'requested', intent: 'order', owner: { reference: owner }, description: `task ${i}` });

it('delivers each event once and in order, whichever of the two processes took the write', async () => {
  const sub = await post(a, 'Subscription', { resourceType: 'Subscription', status: 'requested', reason: 'replicas', criteria: 'Task?owner=Organization/replicas', channel: { type: 'rest-hook', endpoint: `http://127.0.0.1:${receiver.port}/hook`, payload: 'application/fhir+json' } });
  await active(b, sub);
  const written: string[] = [];
  for (let round = 0; round < 15; round++) {
    // Two writes at once, one through each process.
    const ids = await Promise.all([post(a, 'Task', task('Organization/replicas', 2 * round)), post(b, 'Task', task('Organization/replicas', 2 * round + 1))]);
    written.push(...ids);
  }
  await waitFor('every notification', () => receiver.received.filter((r) => r.url.startsWith('/hook/Task/')).length >= written.length);
  await sleep(1_500);
  const urls = receiver.received.filter((r) => r.url.startsWith('/hook/Task/')).map((r) => r.url);
  expect(urls).toHaveLength(written.length);
  expect(new Set(urls)).toEqual(new Set(written.map((id) => `/hook/Task/${id}`)));
  // In event order: the order the events were numbered in.
  const numbered = await db.query<{ res_id: string }>(`SELECT res_id FROM subscription_notification WHERE sub_id = $1 ORDER BY event_number`, [sub]);
  expect(urls).toEqual(numbered.map((r) => `/hook/Task/${r.res_id}`));
});

it('tells a websocket bound to one process of writes taken by the other', async () => {
  const sub = await post(a, 'Subscription', {
    resourceType: 'Subscription',
    meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription'] },
    status: 'requested',
    reason: 'replicas websocket',
    criteria: 'https://fhir-hub.fr/SubscriptionTopic/task-changed',
    _criteria: { extension: [{ url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria', valueString: 'Task?owner=Organization/ws-replicas' }] },
    channel: { type: 'websocket', payload: 'application/fhir+json', _payload: { extension: [{ url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content', valueCode: 'id-only' }] } },
  });
  await active(a, sub);
  const binding = (await (await fetch(`${b.origin}/fhir/Subscription/${sub}/$get-ws-binding-token`)).json()) as { parameter: { name: string; valueString?: string }[] };
  const token = binding.parameter.find((p) => p.name === 'token')!.valueString!;
  const socket = new WebSocket(`ws://127.0.0.1:${new URL(b.origin).port}/ws/subscriptions`);
  const messages: string[] = [];
  socket.on('message', (m) => messages.push(m.toString()));
  await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
  try {
    socket.send(`bind-with-token ${token}`);
    await waitFor('the handshake', () => messages.some((m) => m.includes('"handshake"')));
    const id = await post(a, 'Task', task('Organization/ws-replicas', 0));
    const got = await waitFor('the notification', () => messages.find((m) => m.includes('"event-notification"')), 10_000);
    expect(got).toContain(`/Task/${id}`);
  } finally {
    socket.close();
  }
});

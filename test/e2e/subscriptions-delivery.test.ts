// A real hub process delivers rest-hook notifications from its outbox (FHIR R4 §2.46): after a write,
// and — when the process was killed with SIGKILL between the write and the delivery — after a restart.
import { freePort, killAll, sleep, startHub, tempDir, type HubProcess } from './support/hub-process';
import { activeRestHook, Receiver, waitFor } from './support/receiver';

jest.setTimeout(120_000);

const data = tempDir('hub-subs-');
let receiver: Receiver;
let env: Record<string, string>;
let hub: HubProcess;

async function post(type: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${hub.origin}/fhir/${type}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

beforeAll(async () => {
  receiver = new Receiver(await freePort());
  await receiver.up();
  env = {
    DATA_DIR: data.dir,
    DEMO: '0',
    SUBSCRIPTION_ENDPOINT_ALLOW: `http://127.0.0.1:${receiver.port}/`,
    SUBSCRIPTION_POLL_MS: '100',
    SUBSCRIPTION_RETRY_INITIAL_MS: '200',
    SUBSCRIPTION_RETRY_MAX_MS: '500',
  };
  hub = await startHub(env);
});
afterAll(async () => {
  await killAll();
  await receiver.down();
  data.remove();
});

it('activates a rest-hook subscription and notifies its endpoint of a matching write', async () => {
  await activeRestHook(hub.origin, 'Task?status=requested', `http://127.0.0.1:${receiver.port}/hook`, 'CPTS worklist');
  await post('Task', { resourceType: 'Task', status: 'draft', intent: 'order' });
  const task = await post('Task', { resourceType: 'Task', status: 'requested', intent: 'order' });
  const hit = await waitFor('the notification', () => receiver.received.find((r) => r.url === `/hook/Task/${task.id}`));
  expect(hit.method).toBe('PUT');
  // The draft task does not match the criteria: nothing was sent for it.
  expect(receiver.received.filter((r) => r.url.startsWith('/hook/Task/') && r.url !== `/hook/Task/${task.id}`)).toEqual([]);
});

it('delivers after a restart what a process killed with SIGKILL had not delivered', async () => {
  await receiver.down();
  const task = await post('Task', { resourceType: 'Task', status: 'requested', intent: 'order', description: 'after the crash' });
  await sleep(500); // the worker has tried, failed and scheduled a retry
  await hub.stop('SIGKILL');
  expect(receiver.received.some((r) => r.url === `/hook/Task/${task.id}`)).toBe(false);
  await receiver.up();
  hub = await startHub(env);
  await waitFor('the notification after the restart', () => receiver.received.find((r) => r.url === `/hook/Task/${task.id}`));
});

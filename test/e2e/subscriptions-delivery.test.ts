// A real hub process delivers rest-hook notifications from its outbox (FHIR R4 §2.46): after a write,
// and — when the process was killed with SIGKILL between the write and the delivery — after a restart.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, killAll, sleep, startHub, tempDir, type HubProcess } from './support/hub-process';

jest.setTimeout(120_000);

interface Received {
  method: string;
  url: string;
}

/** A receiver on 127.0.0.1 that records every request; it can go down and come back on the same port. */
class Receiver {
  received: Received[] = [];
  private server?: http.Server;
  constructor(readonly port: number) {}
  async up(): Promise<void> {
    this.server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.received.push({ method: req.method!, url: req.url! });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    expect((this.server.address() as AddressInfo).port).toBe(this.port);
  }
  async down(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

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
  const sub = await post('Subscription', {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'CPTS worklist',
    criteria: 'Task?status=requested',
    channel: { type: 'rest-hook', endpoint: `http://127.0.0.1:${receiver.port}/hook`, payload: 'application/fhir+json' },
  });
  await waitFor('the subscription to be active', async () => {
    const res = await fetch(`${hub.origin}/fhir/Subscription/${sub.id}`);
    return ((await res.json()) as { status: string }).status === 'active';
  });
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

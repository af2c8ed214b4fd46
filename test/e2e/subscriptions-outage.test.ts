// A rest-hook receiver down for five real minutes (issue 6): a hub process keeps every event, retries with back-off,
// and once the receiver is back delivers them all, in order, each once, without the subscription leaving `active`.
import { freePort, killAll, sleep, startHub, tempDir, type HubProcess } from './support/hub-process';
import { activeRestHook, Receiver, waitFor } from './support/receiver';

const OUTAGE_MS = 5 * 60_000;
const WRITE_EVERY_MS = 15_000;
// Operators choose the back-off ceiling (default 5 min); 20 s keeps the wait after the outage short here.
const RETRY_MAX_MS = 20_000;

jest.setTimeout(OUTAGE_MS + 3 * 60_000);

const data = tempDir('hub-outage-');
let receiver: Receiver;
let hub: HubProcess;

async function post(type: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${hub.origin}/fhir/${type}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

beforeAll(async () => {
  receiver = new Receiver(await freePort());
  await receiver.up();
  hub = await startHub({
    DATA_DIR: data.dir,
    DEMO: '0',
    SUBSCRIPTION_ENDPOINT_ALLOW: `http://127.0.0.1:${receiver.port}/`,
    SUBSCRIPTION_RETRY_MAX_MS: String(RETRY_MAX_MS),
  });
});
afterAll(async () => {
  await killAll();
  await receiver.down();
  data.remove();
});

it('delivers every event written during a five-minute outage, in order and once, when the receiver is back', async () => {
  const sub = { id: await activeRestHook(hub.origin, 'Task?owner=Organization/outage', `http://127.0.0.1:${receiver.port}/hook`, 'outage') };

  await receiver.down();
  const downAt = Date.now();
  const written: string[] = [];
  while (Date.now() - downAt < OUTAGE_MS) {
    written.push((await post('Task', { resourceType: 'Task', status: 'requested', intent: 'order', owner: { reference: 'Organization/outage' }, description: `during the outage ${written.length}` })).id);
    await sleep(Math.min(WRITE_EVERY_MS, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
  }
  const status = (await (await fetch(`${hub.origin}/fhir/Subscription/${sub.id}`)).json()) as { status: string };
  expect(status.status).toBe('active');
  const log = (await (await fetch(`${hub.origin}/fhir/Subscription/${sub.id}/$delivery-log?_count=1000`)).json()) as { parameter: { part: { name: string; valueString?: string }[] }[] };
  const failures = log.parameter.filter((p) => p.part.some((x) => x.name === 'error'));
  expect(failures.length).toBeGreaterThan(5);

  await receiver.up();
  const backAt = Date.now();
  written.push((await post('Task', { resourceType: 'Task', status: 'requested', intent: 'order', owner: { reference: 'Organization/outage' }, description: 'after the outage' })).id);
  await waitFor('every event', () => receiver.received.filter((r) => r.url.startsWith('/hook/Task/')).length >= written.length, RETRY_MAX_MS + 60_000);
  await sleep(1_000);
  const delivered = receiver.received.filter((r) => r.url.startsWith('/hook/Task/'));
  expect(delivered.map((r) => r.url)).toEqual(written.map((id) => `/hook/Task/${id}`));
  expect(written.length).toBeGreaterThanOrEqual(OUTAGE_MS / WRITE_EVERY_MS);
  // Within one back-off ceiling (plus delivery time) of the receiver's return.
  expect(delivered.at(-1)!.at - backAt).toBeLessThan(RETRY_MAX_MS + 30_000);
});

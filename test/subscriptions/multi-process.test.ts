// Several hub processes on one PostgreSQL (DESIGN "Events and subscriptions"): each event delivered once; late commits not skipped.
import { persistCreate } from '../../src/fhir/persist';
import { openPostgres } from '../../src/store/postgres';
import { createTestDb, type TestDb } from '../support/test-db';
import { activeSubscription, create, hubOn, Receiver, task, waitFor, type SubHub } from './support';

const runPostgres = !(process.env.SKIP_POSTGRES === '1' && process.env.CI !== 'true');

(runPostgres ? describe : describe.skip)('two workers on one PostgreSQL database', () => {
  let testDb: TestDb;
  let a: SubHub;
  let b: SubHub;
  const secondDb = { close: async () => undefined as void };
  const receiver = new Receiver();

  beforeAll(async () => {
    await receiver.start();
    testDb = await createTestDb('postgres');
    const db2 = openPostgres(testDb.url!, 10);
    secondDb.close = () => db2.close();
    a = await hubOn(testDb.db);
    b = await hubOn(db2);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await secondDb.close();
    await testDb?.drop();
    await receiver.stop();
  });

  it('delivers each event exactly once, in event order, whichever process wrote or sends it', async () => {
    const subId = await activeSubscription(a, { criteria: 'Task?owner=Organization/shared', channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/fhir+json' } });
    receiver.requests.length = 0;
    const ids: string[] = [];
    // Concurrent writes through both processes, in rounds of four.
    for (let round = 0; round < 10; round++) {
      const created = await Promise.all([a, b, a, b].map((h, i) => create(h, task('Organization/shared', { description: `r${round}-${i}` }))));
      ids.push(...created);
    }
    await waitFor('40 notifications', () => receiver.requests.length >= 40, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    const urls = receiver.requests.map((r) => r.url);
    expect(urls).toHaveLength(40);
    expect(new Set(urls).size).toBe(40);
    expect([...urls].sort()).toEqual(ids.map((id) => `/hook/Task/${id}`).sort());
    // The receiver saw them in event-number order.
    const order = await a.ctx.db.query<{ res_id: string }>(`SELECT res_id FROM subscription_notification WHERE sub_id = $1 ORDER BY event_number`, [subId]);
    expect(urls).toEqual(order.rows.map((r) => `/hook/Task/${r.res_id}`));
    // One delivery attempt per event across both processes.
    const log = await a.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM subscription_delivery_log WHERE sub_id = $1 AND kind = 'event-notification'`, [subId]);
    expect(Number(log.rows[0].n)).toBe(40);
  });

  it('waits for an earlier event still being committed instead of skipping it', async () => {
    await activeSubscription(a, { criteria: 'Task?owner=Organization/late', channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/fhir+json' } });
    receiver.requests.length = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held!: Promise<unknown>;
    const written = new Promise<void>((ready) => {
      held = b.ctx.db.transaction(async (tx) => {
        await persistCreate(b.ctx, tx, { resourceType: 'Task', id: 'late-first', status: 'requested', intent: 'order', owner: { reference: 'Organization/late' } } as never);
        ready();
        await gate;
      });
    });
    await written;
    // Committed after the held one took its sequence number, so its outbox row has a higher seq.
    const second = await create(a, task('Organization/late'));
    await new Promise((r) => setTimeout(r, 600));
    expect(receiver.requests).toHaveLength(0);
    release();
    await held;
    // Not a latency test: a worker backing off after a failed pass on a loaded machine may take a few seconds.
    await waitFor('both notifications', () => receiver.requests.length >= 2, 15_000);
    expect(receiver.requests.map((r) => r.url)).toEqual(['/hook/Task/late-first', `/hook/Task/${second}`]);
  });
});

// Durable delivery (DESIGN "Events and subscriptions"): a receiver down then back gets everything in order; retries end in error.
import { readDeliveryLog, subscriptionEvents } from '../../src/subscriptions';
import { activeSubscription, create, engines, readStatus, Receiver, startSubHub, task, testOptions, waitFor } from './support';

describe.each(engines())('retries on %s', (engine) => {
  let env: Awaited<ReturnType<typeof startSubHub>>;
  let limited: Awaited<ReturnType<typeof startSubHub>>;
  const receiver = new Receiver();
  const failing = new Receiver();

  beforeAll(async () => {
    await receiver.start();
    await failing.start();
    env = await startSubHub(engine, testOptions({ retry: { initialDelayMs: 50, maxDelayMs: 200, giveUpAfterMs: 60_000 } }));
    limited = await startSubHub(engine, testOptions({ retry: { initialDelayMs: 50, maxDelayMs: 200, giveUpAfterMs: 60_000, maxAttempts: 3 } }));
  });
  afterAll(async () => {
    await env?.close();
    await limited?.close();
    await receiver.stop();
    await failing.stop();
  });

  it('delivers every event, in order and once, to a receiver that was down and came back', async () => {
    const h = env.hub;
    await activeSubscription(h, { criteria: 'Task?owner=Organization/down', channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/fhir+json' } });
    receiver.requests.length = 0;
    const port = receiver.port;
    await receiver.stop();
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push(await create(h, task('Organization/down', { description: `while down ${i}` })));
    // The first attempts fail (connection refused) while the receiver is down.
    await waitFor('a failed attempt', async () => {
      const r = await h.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM subscription_delivery_log WHERE error IS NOT NULL AND kind = 'event-notification'`);
      return Number(r.rows[0].n) > 0;
    });
    await receiver.start(port);
    for (let i = 2; i < 5; i++) ids.push(await create(h, task('Organization/down', { description: `after ${i}` })));
    await waitFor('all five notifications', () => receiver.requests.length >= 5, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests.map((r) => r.url)).toEqual(ids.map((id) => `/hook/Task/${id}`));
  });

  it('sends a topic backlog in order as Bundles of several events once the receiver is back', async () => {
    const h = env.hub;
    const BP = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
    await activeSubscription(h, {
      meta: { profile: [`${BP}/backport-subscription`] },
      criteria: 'https://fhir-hub.fr/SubscriptionTopic/task-changed',
      _criteria: { extension: [{ url: `${BP}/backport-filter-criteria`, valueString: 'Task?owner=Organization/backlog' }] },
      channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/fhir+json', _payload: { extension: [{ url: `${BP}/backport-payload-content`, valueCode: 'id-only' }] } },
    });
    const port = receiver.port;
    await receiver.stop();
    receiver.requests.length = 0;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await create(h, task('Organization/backlog', { description: `backlog ${i}` })));
    await waitFor('a failed attempt', async () => {
      const r = await h.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM subscription_delivery_log WHERE error IS NOT NULL AND kind = 'event-notification'`);
      return Number(r.rows[0].n) > 0;
    });
    await waitFor('all six recorded', async () => {
      const r = await h.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM subscription_notification WHERE res_id = ANY($1::text[])`, [ids]);
      return Number(r.rows[0].n) === 6;
    });
    await receiver.start(port);
    const focus = () => receiver.bundles().filter((b) => b.type === 'event-notification').flatMap((b) => b.bundle.entry[0].resource.parameter.filter((p: any) => p.name === 'notification-event').map((p: any) => p.part.find((x: any) => x.name === 'focus').valueReference.reference));
    await waitFor('the six events', () => focus().length >= 6);
    expect(focus()).toEqual(ids.map((id) => `http://localhost:8080/fhir/Task/${id}`));
    // The backlog went out as one Bundle (up to 20 events each), not one request per event.
    expect(receiver.bundles().filter((b) => b.type === 'event-notification')).toHaveLength(1);
  });

  it('retries with back-off, then sets the subscription to error and keeps the events replayable', async () => {
    const h = limited.hub;
    const id = await activeSubscription(h, {
      meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription'] },
      criteria: 'https://fhir-hub.fr/SubscriptionTopic/task-changed',
      _criteria: { extension: [{ url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria', valueString: 'Task?owner=Organization/failing' }] },
      channel: { type: 'rest-hook', endpoint: failing.url, payload: 'application/fhir+json', _payload: { extension: [{ url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content', valueCode: 'id-only' }] } },
    });
    failing.status = 500;
    failing.requests.length = 0;
    const taskId = await create(h, task('Organization/failing'));
    const s = await waitFor('error status', async () => {
      const st = await readStatus(h, id);
      return st.status === 'error' && st;
    });
    expect(s.error).toMatch(/failed after 3 attempts: HTTP 500/);
    expect(failing.requests).toHaveLength(3);
    // Back-off: the gaps between attempts grow (50 ms, then 100 ms).
    const [a, b, c] = failing.requests.map((r) => r.at);
    expect(b - a).toBeGreaterThanOrEqual(45);
    expect(c - b).toBeGreaterThanOrEqual(95);
    const log = await readDeliveryLog(h.ctx.db, id);
    const events = log.filter((l) => l.kind === 'event-notification');
    expect(events).toHaveLength(3);
    expect(events.every((l) => l.httpStatus === 500 && l.error === 'HTTP 500' && l.latencyMs >= 0)).toBe(true);
    expect(log.find((l) => l.kind === 'handshake')?.httpStatus).toBe(200);
    // Later events are still recorded and replayable by number with $events.
    const second = await create(h, task('Organization/failing'));
    await waitFor('second event recorded', async () => {
      const r = await h.ctx.db.query(`SELECT 1 FROM subscription_notification WHERE sub_id = $1 AND event_number = 2`, [id]);
      return r.rows.length > 0;
    });
    const replay = await subscriptionEvents(h.ctx, id, { eventsSinceNumber: 1 });
    expect(replay.type).toBe('history');
    const params = replay.entry![0].resource as any;
    expect(params.parameter.find((p: any) => p.name === 'type').valueCode).toBe('query-event');
    expect(params.parameter.find((p: any) => p.name === 'status').valueCode).toBe('error');
    const focus = params.parameter.filter((p: any) => p.name === 'notification-event').map((p: any) => p.part.find((x: any) => x.name === 'focus').valueReference.reference);
    expect(focus).toEqual([`http://localhost:8080/fhir/Task/${taskId}`, `http://localhost:8080/fhir/Task/${second}`]);
    await new Promise((r) => setTimeout(r, 300));
    expect(failing.requests).toHaveLength(3);
  });
});

// R4 criteria subscriptions over rest-hook (FHIR R4 §2.46): handshake, latency, order, matching, allow-list.
import { activeSubscription, create, engines, median, readStatus, Receiver, startSubHub, task, waitFor } from './support';

describe.each(engines())('criteria subscriptions on %s', (engine) => {
  let env: Awaited<ReturnType<typeof startSubHub>>;
  const receiver = new Receiver();
  const other = new Receiver();

  beforeAll(async () => {
    await receiver.start();
    await other.start();
    env = await startSubHub(engine);
  });
  afterAll(async () => {
    await env?.close();
    await receiver.stop();
    await other.stop();
  });

  it('activates after a handshake POST, then delivers each matching write within 1 s (median), in order, once', async () => {
    const h = env.hub;
    const subId = await activeSubscription(h, {
      criteria: 'Task?owner=Organization/cpts-a&status=requested',
      channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/fhir+json', header: ['Authorization: Bearer s3cret'] },
    });
    expect(receiver.requests[0]).toMatchObject({ method: 'POST', url: '/hook', body: '' });
    receiver.requests.length = 0;

    const latencies: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      const id = await create(h, task('Organization/cpts-a', { description: `n${i}` }));
      ids.push(id);
      const got = await waitFor(`notification ${i}`, () => receiver.requests.find((r) => r.url === `/hook/Task/${id}`), 5_000);
      latencies.push(got.at - started);
    }
    expect(median(latencies)).toBeLessThan(1_000);
    // In order, once each, the resource as PUT body, channel headers sent.
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests.map((r) => r.url)).toEqual(ids.map((id) => `/hook/Task/${id}`));
    expect(receiver.requests.every((r) => r.method === 'PUT' && r.headers.authorization === 'Bearer s3cret')).toBe(true);
    expect(JSON.parse(receiver.requests[3].body)).toMatchObject({ resourceType: 'Task', id: ids[3], description: 'n3' });
    const state = await h.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM subscription_notification WHERE sub_id = $1 AND state = 'delivered'`, [subId]);
    expect(Number(state.rows[0].n)).toBe(20);
  });

  it('sends nothing for writes that do not match the criteria', async () => {
    const h = env.hub;
    await activeSubscription(h, { criteria: 'Task?owner=Organization/cpts-b', channel: { type: 'rest-hook', endpoint: other.url } });
    other.requests.length = 0;
    await create(h, task('Organization/someone-else'));
    await create(h, { resourceType: 'Patient', name: [{ family: 'Durand' }] });
    const matching = await create(h, task('Organization/cpts-b'));
    await waitFor('the matching notification', () => other.requests.length >= 1);
    await new Promise((r) => setTimeout(r, 400));
    // Without payload: one POST with no body, and only for the matching Task.
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]).toMatchObject({ method: 'POST', url: '/hook', body: '' });
    const n = await h.ctx.db.query<{ res_id: string }>(`SELECT res_id FROM subscription_notification WHERE res_id = $1`, [matching]);
    expect(n.rows).toHaveLength(1);
  });

  it('refuses a subscription whose endpoint is not allowed, with a 422 naming it', async () => {
    const res = await env.hub.api
      .post('/fhir/Subscription')
      .set('Content-Type', 'application/fhir+json')
      .send(JSON.stringify({ resourceType: 'Subscription', status: 'requested', reason: 'test', criteria: 'Task?status=requested', channel: { type: 'rest-hook', endpoint: 'http://localhost:9/elsewhere' } }));
    expect(res.status).toBe(422);
    expect(res.body.issue[0]).toMatchObject({ code: 'business-rule', expression: ['Subscription.channel'] });
    expect(res.body.issue[0].diagnostics ?? res.body.issue[0].details?.text).toMatch(/http:\/\/localhost:9\/elsewhere is not in the allowed list/);
  });

  it('puts a subscription stored before the allow-list was narrowed in error, without calling it', async () => {
    const h = env.hub;
    const rule = h.ctx.writeRules!.get('Subscription')!;
    h.ctx.writeRules!.delete('Subscription');
    let id: string;
    try {
      id = await create(h, { resourceType: 'Subscription', status: 'requested', reason: 'test', criteria: 'Task?status=requested', channel: { type: 'rest-hook', endpoint: 'http://localhost:9/elsewhere' } });
    } finally {
      h.ctx.writeRules!.set('Subscription', rule);
    }
    const s = await waitFor('error status', async () => {
      const st = await readStatus(h, id);
      return st.status === 'error' && st;
    });
    expect(s.error).toMatch(/not in the allowed list/);
  });

  it('puts a subscription in error when the handshake fails', async () => {
    const h = env.hub;
    const down = new Receiver();
    await down.start();
    const url = down.url;
    await down.stop();
    const id = await create(h, { resourceType: 'Subscription', status: 'requested', reason: 'test', criteria: 'Task?status=requested', channel: { type: 'rest-hook', endpoint: url } });
    const s = await waitFor('error status', async () => {
      const st = await readStatus(h, id);
      return st.status === 'error' && st;
    });
    expect(s.error).toMatch(/Handshake .* failed: ECONNREFUSED/);
  });
});

// The websocket channel (R4 §2.46.7.2; Backport IG "Channels: websocket") with real sockets: bind-with-token,
// handshake, notifications, heartbeats, R4 bind/ping, recovery with $events, and a socket on another process.
import { openPostgres } from '../../src/store/postgres';
import { createTestDb, type TestDb } from '../support/test-db';
import { create, eventsOf, hubOn, listenWithWebsockets, median, SocketClient, startSubHub, task, testOptions, waitFor, type SubHub } from './support';

const TOPIC = 'https://fhir-hub.fr/SubscriptionTopic/task-changed';
const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';

function topicSubscription(filter: string, extra: { heartbeat?: number; content?: string } = {}): Record<string, unknown> {
  return {
    resourceType: 'Subscription',
    meta: { profile: [`${BACKPORT}/backport-subscription`] },
    status: 'requested',
    reason: 'websocket test',
    criteria: TOPIC,
    _criteria: { extension: [{ url: `${BACKPORT}/backport-filter-criteria`, valueString: filter }] },
    channel: {
      type: 'websocket',
      ...(extra.heartbeat ? { extension: [{ url: `${BACKPORT}/backport-heartbeat-period`, valueUnsignedInt: extra.heartbeat }] } : {}),
      payload: 'application/fhir+json',
      _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: extra.content ?? 'id-only' }] },
    },
  };
}

async function activeWebsocketSubscription(h: SubHub, sub: Record<string, unknown>): Promise<string> {
  const id = await create(h, sub);
  await waitFor(`Subscription/${id} active`, async () => (await h.api.get(`/fhir/Subscription/${id}`)).body.status === 'active');
  return id;
}

async function bindingToken(h: SubHub, id: string): Promise<{ token: string; url: string }> {
  const res = await h.api.get(`/fhir/Subscription/${id}/$get-ws-binding-token`);
  expect(res.status).toBe(200);
  const value = (name: string) => res.body.parameter.find((p: any) => p.name === name);
  expect(value('subscription').valueString).toBe(`http://localhost:8080/fhir/Subscription/${id}`);
  expect(Date.parse(value('expiration').valueDateTime)).toBeGreaterThan(Date.now());
  return { token: value('token').valueString, url: value('websocket-url').valueUrl };
}

describe('websocket channel on one hub', () => {
  let env: Awaited<ReturnType<typeof startSubHub>>;
  let server: Awaited<ReturnType<typeof listenWithWebsockets>>;
  const clients: SocketClient[] = [];
  const open = async () => {
    const c = await SocketClient.open(server.wsUrl);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    env = await startSubHub('pglite', testOptions({ heartbeatCron: '* * * * * *' }));
    server = await listenWithWebsockets(env.hub.ctx, env.hub.app, { allowPlainBind: true });
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await server.close();
    await env.close();
  });

  it('binds with a token, sends the handshake, then each event within 1 s (median), in order, with heartbeats', async () => {
    const h = env.hub;
    const id = await activeWebsocketSubscription(h, topicSubscription('Task?owner=Organization/ws-a', { heartbeat: 1 }));
    const { token, url } = await bindingToken(h, id);
    expect(url).toBe('ws://localhost:8080/ws/subscriptions');
    const client = await open();
    client.send(`bind-with-token ${token}`);
    const handshake = await waitFor('handshake', () => client.bundles().find((b) => b.type === 'handshake'));
    expect(handshake.bundle.entry[0].resource.parameter.find((p: any) => p.name === 'subscription').valueReference.reference).toBe(`http://localhost:8080/fhir/Subscription/${id}`);

    const latencies: number[] = [];
    const written: string[] = [];
    for (let i = 0; i < 7; i++) {
      const before = Date.now();
      written.push(await create(h, task('Organization/ws-a', { description: `ws ${i}` })));
      await waitFor(`event ${i + 1}`, () => client.bundles().filter((b) => b.type === 'event-notification').flatMap((b) => eventsOf(b.bundle)).length >= i + 1);
      latencies.push(client.bundles().filter((b) => b.type === 'event-notification').at(-1)!.at - before);
    }
    await create(h, task('Organization/someone-else'));
    const events = client.bundles().filter((b) => b.type === 'event-notification').flatMap((b) => eventsOf(b.bundle));
    expect(events.map((e) => e.number)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(events.map((e) => e.focus)).toEqual(written.map((w) => `http://localhost:8080/fhir/Task/${w}`));
    expect(median(latencies)).toBeLessThan(1000);
    await waitFor('a heartbeat', () => client.bundles().some((b) => b.type === 'heartbeat'), 5_000);
  });

  it('recovers the events missed while disconnected with $events after binding again', async () => {
    const h = env.hub;
    const id = await activeWebsocketSubscription(h, topicSubscription('Task?owner=Organization/ws-b'));
    const first = await open();
    first.send(`bind-with-token ${(await bindingToken(h, id)).token}`);
    await waitFor('handshake', () => first.bundles().some((b) => b.type === 'handshake'));
    await create(h, task('Organization/ws-b', { description: 'seen' }));
    await waitFor('event 1', () => first.bundles().some((b) => b.type === 'event-notification'));
    await first.close();

    const missed = [await create(h, task('Organization/ws-b', { description: 'missed 1' })), await create(h, task('Organization/ws-b', { description: 'missed 2' }))];
    await waitFor('events recorded', async () => (await h.api.get(`/fhir/Subscription/${id}/$status`)).body.entry[0].resource.parameter.find((p: any) => p.name === 'events-since-subscription-start').valueString === '3');

    const second = await open();
    second.send(`bind-with-token ${(await bindingToken(h, id)).token}`);
    const handshake = await waitFor('handshake', () => second.bundles().find((b) => b.type === 'handshake'));
    // The handshake tells where the subscription stands; the client last saw event 1, so it asks for 2 onwards.
    expect(handshake.bundle.entry[0].resource.parameter.find((p: any) => p.name === 'events-since-subscription-start').valueString).toBe('3');
    const replay = await h.api.get(`/fhir/Subscription/${id}/$events?eventsSinceNumber=2&content=full-resource`);
    expect(replay.status).toBe(200);
    expect(eventsOf(replay.body).map((e) => e.number)).toEqual([2, 3]);
    expect(replay.body.entry.slice(1).map((e: any) => e.resource.id)).toEqual(missed);
    const after = await create(h, task('Organization/ws-b', { description: 'live again' }));
    const live = await waitFor('event 4', () => second.bundles().find((b) => b.type === 'event-notification'));
    expect(eventsOf(live.bundle)).toEqual([{ number: 4, focus: `http://localhost:8080/fhir/Task/${after}` }]);
  });

  it('refuses a used, unknown or missing token, and binds a token to its own subscriptions only', async () => {
    const h = env.hub;
    const id = await activeWebsocketSubscription(h, topicSubscription('Task?owner=Organization/ws-c'));
    const { token } = await bindingToken(h, id);
    const a = await open();
    a.send(`bind-with-token ${token}`);
    await waitFor('handshake', () => a.bundles().some((b) => b.type === 'handshake'));
    const b = await open();
    b.send(`bind-with-token ${token}`);
    b.send('bind-with-token not-a-token');
    b.send('subscribe me');
    await waitFor('three errors', () => b.messages.length >= 3);
    expect(b.messages.map((m) => m.text)).toEqual([
      expect.stringMatching(/^error the token is unknown, used or expired/),
      expect.stringMatching(/^error the token is unknown, used or expired/),
      expect.stringMatching(/^error unknown command "subscribe"/),
    ]);
    const restHook = await h.api.get(`/fhir/Subscription/not-there/$get-ws-binding-token`);
    expect(restHook.status).toBe(404);
  });

  it('speaks R4: bind, bound, then a ping per matching event', async () => {
    const h = env.hub;
    const id = await activeWebsocketSubscription(h, { resourceType: 'Subscription', status: 'requested', reason: 'r4', criteria: 'Task?owner=Organization/ws-r4', channel: { type: 'websocket' } });
    const client = await open();
    client.send(`bind ${id}`);
    await waitFor('bound', () => client.messages.some((m) => m.text === `bound ${id}`));
    await create(h, task('Organization/ws-r4'));
    await create(h, task('Organization/not-r4'));
    await create(h, task('Organization/ws-r4'));
    await waitFor('two pings', () => client.messages.filter((m) => m.text === `ping ${id}`).length === 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(client.messages.map((m) => m.text)).toEqual([`bound ${id}`, `ping ${id}`, `ping ${id}`]);
  });
});

const runPostgres = !(process.env.SKIP_POSTGRES === '1' && process.env.CI !== 'true');

(runPostgres ? describe : describe.skip)('websocket on another process of the same PostgreSQL database', () => {
  let testDb: TestDb;
  let writer: SubHub;
  let socketHub: SubHub;
  let server: Awaited<ReturnType<typeof listenWithWebsockets>>;
  const closeDb2 = { run: async () => undefined as void };

  beforeAll(async () => {
    testDb = await createTestDb('postgres');
    const db2 = openPostgres(testDb.url!, 5);
    closeDb2.run = () => db2.close();
    writer = await hubOn(testDb.db);
    // A replica without worker whose sockets do not poll: what they get comes through NOTIFY.
    socketHub = await hubOn(db2, testOptions(), false);
    server = await listenWithWebsockets(socketHub.ctx, socketHub.app, { allowPlainBind: true, catchUpMs: 60_000 });
  });
  afterAll(async () => {
    await server?.close();
    await writer?.close();
    await socketHub?.close();
    await closeDb2.run();
    await testDb?.drop();
  });

  it('tells a socket bound on one process of events written and matched on another, at once', async () => {
    const id = await activeWebsocketSubscription(writer, topicSubscription('Task?owner=Organization/ws-multi'));
    const client = await SocketClient.open(server.wsUrl);
    try {
      client.send(`bind-with-token ${(await bindingToken(socketHub, id)).token}`);
      await waitFor('handshake', () => client.bundles().some((b) => b.type === 'handshake'));
      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        const before = Date.now();
        await create(writer, task('Organization/ws-multi'));
        await waitFor(`event ${i + 1}`, () => client.bundles().filter((b) => b.type === 'event-notification').length >= i + 1);
        latencies.push(client.bundles().filter((b) => b.type === 'event-notification').at(-1)!.at - before);
      }
      const numbers = client.bundles().filter((b) => b.type === 'event-notification').flatMap((b) => eventsOf(b.bundle).map((e) => e.number));
      expect(numbers).toEqual([1, 2, 3, 4, 5]);
      expect(median(latencies)).toBeLessThan(1000);
    } finally {
      await client.close();
    }
  });
});

// Topic-based subscriptions (R5 Subscriptions Backport IG for R4): handshake, notification Bundle shape, filters, heartbeat, $status.
import { subscriptionStatus } from '../../src/subscriptions';
import { activeSubscription, create, engines, Receiver, startSubHub, task, testOptions, waitFor } from './support';

const BP = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
const TOPIC = 'https://fhir-hub.fr/SubscriptionTopic';

function topicSubscription(topic: string, endpoint: string, content: string, filters: string[], extra: Record<string, unknown>[] = []) {
  const channel: Record<string, unknown> = { type: 'rest-hook', endpoint, payload: 'application/fhir+json', _payload: { extension: [{ url: `${BP}/backport-payload-content`, valueCode: content }] } };
  if (extra.length) channel.extension = extra;
  const sub: Record<string, unknown> = { meta: { profile: [`${BP}/backport-subscription`] }, criteria: `${TOPIC}/${topic}`, channel };
  if (filters.length) sub._criteria = { extension: filters.map((f) => ({ url: `${BP}/backport-filter-criteria`, valueString: f })) };
  return sub;
}

const param = (params: any, name: string) => params.parameter.find((p: any) => p.name === name);

describe.each(engines())('topic-based subscriptions on %s', (engine) => {
  let env: Awaited<ReturnType<typeof startSubHub>>;
  const full = new Receiver();
  const idOnly = new Receiver();
  const appointments = new Receiver();

  beforeAll(async () => {
    await Promise.all([full.start(), idOnly.start(), appointments.start()]);
    env = await startSubHub(engine, testOptions({ heartbeatCron: '* * * * * *' }));
  });
  afterAll(async () => {
    await env?.close();
    await Promise.all([full.stop(), idOnly.stop(), appointments.stop()]);
  });

  it('sends a handshake, then history Bundles starting with the status Parameters (full-resource)', async () => {
    const h = env.hub;
    const subId = await activeSubscription(h, topicSubscription('task-changed', full.url, 'full-resource', ['Task?owner=Organization/msp-1']));
    const handshake = full.bundles()[0];
    expect(handshake.type).toBe('handshake');
    expect(param(handshake.bundle.entry[0].resource, 'status').valueCode).toBe('requested');
    expect(param(handshake.bundle.entry[0].resource, 'events-since-subscription-start').valueString).toBe('0');

    await create(h, task('Organization/other'));
    const t1 = await create(h, task('Organization/msp-1', { description: 'first' }));
    const t2 = await create(h, task('Organization/msp-1', { description: 'second' }));
    // Events matched together may share one notification Bundle (up to 20 each): count events, not Bundles.
    const notifications = () => full.bundles().filter((b) => b.type === 'event-notification').map((b) => b.bundle);
    const eventsSent = () => notifications().flatMap((b) => b.entry[0].resource.parameter.filter((p: any) => p.name === 'notification-event').map((p: any, i: number) => ({ part: p.part, entry: b.entry[1 + i] })));
    await waitFor('two events', () => eventsSent().length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(eventsSent()).toHaveLength(2);
    const first = notifications()[0];
    expect(first.resourceType).toBe('Bundle');
    expect(first.type).toBe('history');
    expect(first.meta.profile).toEqual([`${BP}/backport-subscription-notification-r4`]);
    const status = first.entry[0].resource;
    expect(status.resourceType).toBe('Parameters');
    expect(status.meta.profile).toEqual([`${BP}/backport-subscription-status-r4`]);
    expect(first.entry[0].request).toEqual({ method: 'GET', url: `http://localhost:8080/fhir/Subscription/${subId}/$status` });
    expect(param(status, 'subscription').valueReference.reference).toBe(`http://localhost:8080/fhir/Subscription/${subId}`);
    expect(param(status, 'topic').valueCanonical).toBe(`${TOPIC}/task-changed`);
    expect(param(status, 'status').valueCode).toBe('active');
    const [e1, e2] = eventsSent();
    expect(e1.part.find((p: any) => p.name === 'event-number').valueString).toBe('1');
    expect(e1.part.find((p: any) => p.name === 'focus').valueReference.reference).toBe(`http://localhost:8080/fhir/Task/${t1}`);
    expect(e1.entry).toMatchObject({ fullUrl: `http://localhost:8080/fhir/Task/${t1}`, request: { method: 'POST', url: 'Task' }, resource: { id: t1, description: 'first' } });
    expect(e2.part[0].valueString).toBe('2');
    expect(e2.entry.resource.id).toBe(t2);

    // An update of a matching Task is an event too (the topic covers create and update).
    const res = await h.api.put(`/fhir/Task/${t1}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify({ ...task('Organization/msp-1'), id: t1, status: 'in-progress' }));
    expect(res.status).toBe(200);
    await waitFor('the update notification', () => eventsSent().length >= 3);
    const update = eventsSent()[2].entry;
    expect(update.request).toEqual({ method: 'PUT', url: `Task/${t1}` });
    expect(update.resource.status).toBe('in-progress');

    const st = await subscriptionStatus(h.ctx, subId);
    const stParams = st.entry![0].resource as any;
    expect(param(stParams, 'type').valueCode).toBe('query-status');
    expect(param(stParams, 'events-since-subscription-start').valueString).toBe('3');
  });

  it('sends only the focus with id-only, and heartbeats at the requested period', async () => {
    const h = env.hub;
    await activeSubscription(h, topicSubscription('communication-received', idOnly.url, 'id-only', ['recipient=Practitioner/dr-a'], [{ url: `${BP}/backport-heartbeat-period`, valueUnsignedInt: 1 }]));
    const id = await create(h, { resourceType: 'Communication', status: 'completed', recipient: [{ reference: 'Practitioner/dr-a' }] });
    await waitFor('the event', () => idOnly.bundles().find((b) => b.type === 'event-notification'));
    const bundle = idOnly.bundles().find((b) => b.type === 'event-notification')!.bundle;
    expect(bundle.entry).toHaveLength(1);
    expect(param(bundle.entry[0].resource, 'notification-event').part.find((p: any) => p.name === 'focus').valueReference.reference).toBe(`http://localhost:8080/fhir/Communication/${id}`);
    // Heartbeats keep coming at the period, and carry the event count (one after the event).
    const since = (b: { bundle: any }) => param(b.bundle.entry[0].resource, 'events-since-subscription-start').valueString;
    const heartbeat = await waitFor('a heartbeat after the event', () => idOnly.bundles().find((b) => b.type === 'heartbeat' && since(b) === '1'), 5_000);
    expect(param(heartbeat.bundle.entry[0].resource, 'status').valueCode).toBe('active');
    expect(heartbeat.bundle.entry).toHaveLength(1);
  });

  it('applies the topic trigger criteria: appointments notify when booked or cancelled only', async () => {
    const h = env.hub;
    await activeSubscription(h, topicSubscription('appointment-booked-or-cancelled', appointments.url, 'full-resource', []));
    const participant = [{ actor: { reference: 'Patient/p1' }, status: 'accepted' }];
    await create(h, { resourceType: 'Appointment', status: 'proposed', participant });
    const booked = await create(h, { resourceType: 'Appointment', status: 'booked', participant });
    await waitFor('the booked notification', () => appointments.bundles().find((b) => b.type === 'event-notification'));
    await new Promise((r) => setTimeout(r, 300));
    const events = appointments.bundles().filter((b) => b.type === 'event-notification');
    expect(events).toHaveLength(1);
    expect(events[0].bundle.entry[1].resource.id).toBe(booked);
  });
});

// Topic care-team-membership-changed (issue 8): a CareTeam created, or updated so that its set of members changed,
// notifies; a name-only or status-only update does not (fhirPathCriteria over %previous and %current).
import { create, engines, eventsOf, activeSubscription, Receiver, startSubHub, testOptions, waitFor } from './support';

const BP = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
const TOPIC = 'https://fhir-hub.fr/SubscriptionTopic/care-team-membership-changed';

const subscription = (endpoint: string, filters: string[]) => ({
  meta: { profile: [`${BP}/backport-subscription`] },
  criteria: TOPIC,
  channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json', _payload: { extension: [{ url: `${BP}/backport-payload-content`, valueCode: 'id-only' }] } },
  _criteria: { extension: filters.map((f) => ({ url: `${BP}/backport-filter-criteria`, valueString: f })) },
});

const team = (patient: string, members: string[], extra: Record<string, unknown> = {}) => ({
  resourceType: 'CareTeam',
  status: 'active',
  name: 'Équipe',
  subject: { reference: `Patient/${patient}` },
  participant: members.map((m) => ({ member: { reference: m } })),
  ...extra,
});

describe.each(engines())('care-team-membership-changed on %s', (engine) => {
  let env: Awaited<ReturnType<typeof startSubHub>>;
  const byPatient = new Receiver();
  const byMember = new Receiver();

  beforeAll(async () => {
    await Promise.all([byPatient.start(), byMember.start()]);
    env = await startSubHub(engine, testOptions());
  });
  afterAll(async () => {
    await env?.close();
    await Promise.all([byPatient.stop(), byMember.stop()]);
  });

  const events = (r: Receiver) => r.bundles().filter((b) => b.type === 'event-notification').flatMap((b) => eventsOf(b.bundle).map((e) => e.focus));
  const put = async (id: string, body: Record<string, unknown>) => {
    const res = await env.hub.api.put(`/fhir/CareTeam/${id}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify({ ...body, id }));
    expect(res.status).toBe(200);
  };

  it('notifies a creation and a membership change, not a name-only or status-only update; filters by patient and participant', async () => {
    const h = env.hub;
    await activeSubscription(h, subscription(byPatient.url, ['CareTeam?subject=Patient/p1']));
    await activeSubscription(h, subscription(byMember.url, ['CareTeam?participant=Practitioner/kine']));

    const ct = await create(h, team('p1', ['Practitioner/gp', 'Practitioner/ide']));
    await create(h, team('p2', ['Practitioner/gp'])); // another patient, no kiné: neither subscription
    const focus = `http://localhost:8080/fhir/CareTeam/${ct}`;
    await waitFor('the creation', () => events(byPatient).length >= 1);

    await put(ct, team('p1', ['Practitioner/gp', 'Practitioner/ide'], { name: 'Équipe de Mme Martin' }));
    await put(ct, team('p1', ['Practitioner/ide', 'Practitioner/gp'], { name: 'Équipe de Mme Martin', status: 'suspended' })); // same members, other order
    await put(ct, team('p1', ['Practitioner/gp', 'Practitioner/kine'], { name: 'Équipe de Mme Martin', status: 'suspended' })); // ide out, kiné in
    await waitFor('the membership change', () => events(byPatient).length >= 2 && events(byMember).length >= 1);
    // The name and status updates were matched (and skipped) before the change: nothing else arrives.
    await new Promise((r) => setTimeout(r, 500));
    expect(events(byPatient)).toEqual([focus, focus]);
    expect(events(byMember)).toEqual([focus]);

    const numbers = byPatient.bundles().filter((b) => b.type === 'event-notification').flatMap((b) => eventsOf(b.bundle).map((e) => e.number));
    expect(numbers).toEqual([1, 2]);
  });
});

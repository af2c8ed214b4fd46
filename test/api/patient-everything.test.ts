// Patient/$everything (issue 7, point 4): the compartment and what it references, paged so that following the
// links visits every compartment resource exactly once; _type and _since filter; the access policy applies.
import type { Resource } from '@medplum/fhirtypes';
import { createResource, putJson } from '../support/fhir-api';
import { auth, practitioner, seedInternal, signToken, startSecureHub, TestIssuer, type TestKey } from '../support/security';
import { BASE, startTestHub, type TestHub } from '../support/test-hub';

jest.setTimeout(120_000);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: TestHub;
let p: string;
let other: string;
const mine: string[] = [];
const refs = { practitioner: '', organization: '', medication: '' };

const obs = (patient: string, code: string, extra: object = {}) => ({
  resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code }] }, subject: { reference: `Patient/${patient}` }, ...extra,
});

beforeAll(async () => {
  t = await startTestHub();
  refs.organization = await createResource(t, { resourceType: 'Organization', name: 'MSP des Tilleuls' });
  refs.practitioner = await createResource(t, { resourceType: 'Practitioner', name: [{ family: 'Durand' }] });
  refs.medication = await createResource(t, { resourceType: 'Medication', code: { text: 'Paracétamol 500 mg' } });
  p = await createResource(t, { resourceType: 'Patient', name: [{ family: 'Martin' }], managingOrganization: { reference: `Organization/${refs.organization}` } });
  other = await createResource(t, { resourceType: 'Patient', name: [{ family: 'Autre' }] });
  mine.push(`Patient/${p}`);
  for (let i = 0; i < 18; i++) mine.push(`Observation/${await createResource(t, obs(p, `100${i}-0`, { performer: [{ reference: `Practitioner/${refs.practitioner}` }] }))}`);
  mine.push(`Condition/${await createResource(t, { resourceType: 'Condition', subject: { reference: `Patient/${p}` }, code: { text: 'HTA' } })}`);
  mine.push(`MedicationRequest/${await createResource(t, { resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: `Patient/${p}` }, medicationReference: { reference: `Medication/${refs.medication}` } })}`);
  mine.push(`Encounter/${await createResource(t, { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${p}` } })}`);
  for (let i = 0; i < 5; i++) await createResource(t, obs(other, '999-9'));
});
afterAll(async () => t.close());

const rel = (url: string) => url.replace(BASE, '/fhir');
const link = (body: Json, relation: string) => ((body.link ?? []) as Json[]).find((l) => l.relation === relation)?.url as string | undefined;
const entries = (body: Json, mode: string) => ((body.entry ?? []) as Json[]).filter((e) => e.search.mode === mode).map((e) => `${e.resource.resourceType}/${e.resource.id}`);

/** Follows next links from `first`; returns the pages. */
async function walk(first: string): Promise<Json[]> {
  const pages: Json[] = [];
  let url: string | undefined = first;
  while (url) {
    const res = await t.api.get(url);
    expect([url, res.status]).toEqual([url, 200]);
    pages.push(res.body);
    url = link(res.body, 'next') && rel(link(res.body, 'next')!);
    if (pages.length > 50) throw new Error('paging does not end');
  }
  return pages;
}

describe('Patient/$everything', () => {
  it('pages through the whole compartment, each resource exactly once, with referenced resources included', async () => {
    const pages = await walk(`/fhir/Patient/${p}/$everything?_count=7`);
    expect(pages.length).toBe(Math.ceil(mine.length / 7));
    expect(pages.every((pg) => pg.type === 'searchset' && pg.total === mine.length)).toBe(true);
    const matches = pages.flatMap((pg) => entries(pg, 'match'));
    expect(matches.length).toBe(mine.length);
    expect([...matches].sort()).toEqual([...mine].sort());
    const included = new Set(pages.flatMap((pg) => entries(pg, 'include')));
    expect(included).toEqual(new Set([`Practitioner/${refs.practitioner}`, `Organization/${refs.organization}`, `Medication/${refs.medication}`]));
    expect(matches.some((m) => m.includes(other))).toBe(false);
  });

  it('previous goes back to the page before', async () => {
    const [first, second] = await walk(`/fhir/Patient/${p}/$everything?_count=10`);
    const back = await t.api.get(rel(link(second, 'previous')!));
    expect(entries(back.body, 'match')).toEqual(entries(first, 'match'));
    expect(link(first, 'previous')).toBeUndefined();
  });

  it('_type keeps the listed types, compartment and referenced ones', async () => {
    const res = await t.api.get(`/fhir/Patient/${p}/$everything?_type=Condition,MedicationRequest,Medication&_count=100`);
    expect(res.status).toBe(200);
    expect(entries(res.body, 'match').map((m) => m.split('/')[0]).sort()).toEqual(['Condition', 'MedicationRequest']);
    expect(entries(res.body, 'include')).toEqual([`Medication/${refs.medication}`]);
    expect(link(res.body, 'self')).toContain('_type=Condition%2CMedicationRequest%2CMedication');
  });

  it('_since keeps what changed after the instant, and the next links carry it', async () => {
    await new Promise((r) => setTimeout(r, 30));
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 30));
    const changed = [`Observation/${await createResource(t, obs(p, '2000-1'))}`, `Observation/${await createResource(t, obs(p, '2000-2'))}`];
    const conditionId = mine.find((m) => m.startsWith('Condition/'))!.split('/')[1];
    const upd = await putJson(t, `/fhir/Condition/${conditionId}`, { resourceType: 'Condition', id: conditionId, subject: { reference: `Patient/${p}` }, code: { text: 'HTA essentielle' } });
    expect(upd.status).toBe(200);
    changed.push(`Condition/${conditionId}`);
    const pages = await walk(`/fhir/Patient/${p}/$everything?_since=${encodeURIComponent(since)}&_count=2`);
    expect(pages.flatMap((pg) => entries(pg, 'match')).sort()).toEqual(changed.sort());
    expect(link(pages[0], 'next')).toContain('_since=');
  });

  it('refuses bad parameters with 400 and the expression, an unknown patient with 404', async () => {
    for (const [query, expression] of [['_count=abc', '_count'], ['_count=0', '_count'], ['_since=yesterday', '_since'], ['_since=2024-01-01', '_since'], ['_type=Nope', '_type']]) {
      const res = await t.api.get(`/fhir/Patient/${p}/$everything?${query}`);
      expect([query, res.status, res.body.issue?.[0]?.expression]).toEqual([query, 400, [expression]]);
    }
    const missing = await t.api.get('/fhir/Patient/no-such-patient/$everything');
    expect(missing.status).toBe(404);
    expect((await t.api.post(`/fhir/Patient/${p}/$everything`)).status).toBe(405);
  });
});

describe('access policy', () => {
  const GP = '810000000001';
  const OUTSIDER = '810000000002';
  let issuer: TestIssuer;
  let key: TestKey;
  let s: TestHub;

  beforeAll(async () => {
    ({ issuer, key } = await TestIssuer.withKey());
    s = await startSecureHub(issuer);
    await seedInternal(s, [
      practitioner('gp', GP),
      practitioner('outsider', OUTSIDER),
      { resourceType: 'Patient', id: 'A', name: [{ family: 'Suivi' }] },
      { resourceType: 'CareTeam', id: 'ct-a', status: 'active', subject: { reference: 'Patient/A' }, participant: [{ member: { reference: 'Practitioner/gp' } }] },
      obs('A', '8867-4', { id: 'obs-a', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }] }) as Resource,
    ]);
  });
  afterAll(async () => {
    await s.close();
    await issuer.stop();
  });

  const token = (professional: string) => signToken({ key, issuer: issuer.issuer, professional, scope: 'user/*.cruds' });

  it('a practitioner without a care relationship gets 403 on $everything and $summary; the care team member gets them', async () => {
    const outsider = await token(OUTSIDER);
    for (const op of ['$everything', '$summary']) {
      const res = await s.api.get(`/fhir/Patient/A/${op}`).set(auth(outsider));
      expect([op, res.status, res.body.issue?.[0]?.code]).toEqual([op, 403, 'forbidden']);
    }
    const gp = await token(GP);
    const everything = await s.api.get('/fhir/Patient/A/$everything').set(auth(gp));
    expect(everything.status).toBe(200);
    expect(entries(everything.body, 'match').sort()).toEqual(['CareTeam/ct-a', 'Observation/obs-a', 'Patient/A']);
    const summary = await s.api.get('/fhir/Patient/A/$summary').set(auth(gp));
    expect(summary.status).toBe(200);
    const vitals = (summary.body.entry[0].resource.section as Json[]).find((x) => x.code.coding[0].code === '8716-3')!;
    expect(vitals.entry).toEqual([{ reference: 'Observation/obs-a' }]);
  });
});

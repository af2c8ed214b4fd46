// Result shaping (FHIR R4 §3.1.1.5-6): sort, paging, totals, summary, elements, strictness, POST _search, injection.
import { searchIds, seed } from '../support/seed';
import { startTestHub, type TestHub } from '../support/test-hub';
import { searchFixtures } from './search-fixtures';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
  await seed(t, searchFixtures);
});
afterAll(async () => t.close());

describe('_sort', () => {
  it('sorts on a date, ascending and descending, missing values last', async () => {
    expect(await searchIds(t, 'Patient?_sort=birthdate')).toEqual(['pt-helene', 'pt-dupontel', 'pt-dupont', 'pt-sans']);
    expect(await searchIds(t, 'Patient?_sort=-birthdate')).toEqual(['pt-dupont', 'pt-dupontel', 'pt-helene', 'pt-sans']);
  });

  it('sorts on several keys: string then date', async () => {
    expect(await searchIds(t, 'Patient?gender=male&_sort=-family,birthdate')).toEqual(['pt-dupontel', 'pt-dupont']);
    expect(await searchIds(t, 'Patient?_sort=gender,-birthdate')).toEqual(['pt-helene', 'pt-dupont', 'pt-dupontel', 'pt-sans']);
  });

  it('sorts on token, number, quantity and reference parameters', async () => {
    expect(await searchIds(t, 'Observation?_sort=code,_id')).toEqual(['obs-wt', 'obs-bp', 'obs-hr1', 'obs-hr2']);
    expect(await searchIds(t, 'RiskAssessment?_sort=-probability')).toEqual(['ra-high', 'ra-low']);
    expect(await searchIds(t, 'Observation?code=8867-4,29463-7&_sort=value-quantity')).toEqual(['obs-wt', 'obs-hr1', 'obs-hr2']);
    expect(await searchIds(t, 'Observation?subject:missing=false&_sort=-subject,_id')).toEqual(['obs-bp', 'obs-hr2', 'obs-hr1']);
  });

  it('refuses an unknown sort parameter', async () => {
    const res = await t.api.get('/fhir/Patient?_sort=shoe-size');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['_sort']);
  });
});

describe('paging and totals', () => {
  it('pages with _count and next/previous links, without overlap', async () => {
    const first = await t.api.get('/fhir/Patient?_sort=_id&_count=3');
    expect(first.body.total).toBe(4);
    expect(first.body.entry).toHaveLength(3);
    const next = first.body.link.find((l: { relation: string }) => l.relation === 'next').url as string;
    const second = await t.api.get(next.replace('http://localhost:8080', ''));
    expect(second.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['pt-sans']);
    expect(second.body.link.find((l: { relation: string }) => l.relation === 'next')).toBeUndefined();
    expect(second.body.link.find((l: { relation: string }) => l.relation === 'previous')).toBeDefined();
  });

  it('defaults to 20 per page and caps _count at 1000', async () => {
    const res = await t.api.get('/fhir/Patient?_count=5000');
    expect(res.status).toBe(200);
    expect(res.body.link[0].url).toContain('_count=1000');
  });

  it('answers _total=none without a total, _summary=count with only the total', async () => {
    expect((await t.api.get('/fhir/Patient?_total=none')).body.total).toBeUndefined();
    const count = await t.api.get('/fhir/Patient?gender=male&_summary=count');
    expect(count.body.total).toBe(2);
    expect(count.body.entry).toBeUndefined();
  });

  it('shapes entries with _elements and _summary', async () => {
    const el = await t.api.get('/fhir/Patient?_id=pt-helene&_elements=gender');
    const r = el.body.entry[0].resource;
    expect(r.gender).toBe('female');
    expect(r.name).toBeUndefined();
    expect(r.meta.tag.some((c: { code: string }) => c.code === 'SUBSETTED')).toBe(true);
    const sum = await t.api.get('/fhir/Observation?_id=obs-bp&_summary=true');
    expect(sum.body.entry[0].resource.code).toBeDefined();
  });
});

describe('strictness', () => {
  it('refuses an unknown parameter with 400 naming it', async () => {
    const res = await t.api.get('/fhir/Patient?shoe-size=42');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['shoe-size']);
  });

  it('ignores it with Prefer: handling=lenient, and leaves it out of the self link', async () => {
    const res = await t.api.get('/fhir/Patient?shoe-size=42&gender=male').set('Prefer', 'handling=lenient');
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(2);
    const self = res.body.link.find((l: { relation: string }) => l.relation === 'self').url;
    expect(self).not.toContain('shoe-size');
    expect(self).toContain('gender=male');
  });

  it('refuses an unknown modifier and a malformed value', async () => {
    expect((await t.api.get('/fhir/Patient?gender:exact=male')).status).toBe(400);
    expect((await t.api.get('/fhir/Patient?_count=abc')).status).toBe(400);
  });
});

describe('POST _search', () => {
  it('takes the criteria as a form body, merged with the URL', async () => {
    const res = await t.api.post('/fhir/Patient/_search?_sort=_id').type('form').send('gender=male');
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['pt-dupont', 'pt-dupontel']);
  });
});

describe('SQL injection', () => {
  const attacks = [
    "x' OR '1'='1",
    "x'; DROP TABLE resource; --",
    'x" OR 1=1 --',
    "x'/*",
    '\\\'; SELECT pg_sleep(5); --',
    'ʼ OR ʼ1ʼ=ʼ1',
    "x\u0000'",
    '%_%',
  ];
  it.each(attacks)('value %j gives an empty result or a 400, never a database error', async (attack) => {
    for (const q of [`Patient?name=${encodeURIComponent(attack)}`, `Patient?identifier=${encodeURIComponent(attack)}`, `Observation?subject=${encodeURIComponent(attack)}`, `Patient?birthdate=${encodeURIComponent(attack)}`]) {
      const res = await t.api.get(`/fhir/${q}`);
      expect([200, 400]).toContain(res.status);
      if (res.status === 200) expect(res.body.total).toBe(0);
    }
  });

  it.each(attacks)('parameter name %j gives 400', async (attack) => {
    const res = await t.api.get(`/fhir/Patient?${encodeURIComponent(attack)}=1`);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('still has all its data afterwards', async () => {
    expect((await t.api.get('/fhir/Patient?_summary=count')).body.total).toBe(4);
  });
});

// Search answers on real-shaped data: three Synthea patients are loaded, and each query's result is
// compared with the same question answered by walking the raw JSON of the bundles.
import path from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { importFile } from '../../src/loaders/import-files';
import { readText } from '../../src/loaders/read-files';
import { startTestHub, type TestHub } from '../support/test-hub';

const SYNTHEA = path.resolve(__dirname, '../../../shared/test-data/synthea');
const FILES = [
  '0-hospitalInformation1625911868739.json.bz2',
  '0-practitionerInformation1625911868739.json.bz2',
  '1ae8d602-4b41-4571-8c49-b460a22892c2.json.bz2',
  '451e7c69-78b8-9bc9-b8a7-030c4a968215.json.bz2',
  '7278ffc8-5b59-8cb5-8419-294639a9908f.json.bz2',
];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let t: TestHub;
let raw: Json[] = [];
/** urn:uuid fullUrl → the id the hub gave the resource (found through its identifier). */
const patients: { id: string; family: string; resource: Json }[] = [];

async function total(query: string): Promise<number> {
  const res = await t.api.get(`/fhir/${query}${query.includes('?') ? '&' : '?'}_summary=count`);
  if (res.status !== 200) throw new Error(`${query} → ${res.status} ${res.text.slice(0, 300)}`);
  return res.body.total;
}

const ofType = (type: string) => raw.filter((r) => r.resourceType === type);
const codes = (r: Json) => (r.code?.coding ?? []).map((c: Json) => `${c.system}|${c.code}`);
const subjectIs = (r: Json, fullUrl: string) => r.subject?.reference === fullUrl || r.patient?.reference === fullUrl;

beforeAll(async () => {
  t = await startTestHub();
  for (const f of FILES) {
    const report = await importFile(t.ctx, path.join(SYNTHEA, f));
    expect(report.failures).toEqual([]);
    const bundle = JSON.parse(await readText(path.join(SYNTHEA, f))) as Bundle;
    for (const e of bundle.entry ?? []) raw.push({ ...(e.resource as Resource), fullUrl: e.fullUrl });
  }
  for (const p of ofType('Patient')) {
    const res = await t.api.get(`/fhir/Patient?identifier=${encodeURIComponent(`${p.identifier[0].system}|${p.identifier[0].value}`)}`);
    patients.push({ id: res.body.entry[0].resource.id, family: p.name[0].family, resource: p });
  }
}, 120_000);
afterAll(async () => t.close());

describe('Synthea cross-check', () => {
  it('loaded every resource', async () => {
    expect(patients).toHaveLength(3);
    for (const type of ['Observation', 'Encounter', 'Condition', 'Patient']) expect(await total(type)).toBe(ofType(type).length);
  });

  it('token: Observation?code=system|code for every code seen', async () => {
    const seen = [...new Set(ofType('Observation').flatMap(codes))].slice(0, 25) as string[];
    for (const c of seen) expect([c, await total(`Observation?code=${encodeURIComponent(c)}`)]).toEqual([c, ofType('Observation').filter((o) => codes(o).includes(c)).length]);
  });

  it('reference + date: a patient\'s observations since 2015', async () => {
    for (const p of patients) {
      const fullUrl = raw.find((r) => r.resourceType === 'Patient' && r.id === p.resource.id)!.fullUrl;
      const expected = ofType('Observation').filter((o) => subjectIs(o, fullUrl) && Date.parse(o.effectiveDateTime) >= Date.parse('2015-01-01T00:00:00Z')).length;
      expect(await total(`Observation?patient=${p.id}&date=ge2015-01-01`)).toBe(expected);
      const res = await t.api.get(`/fhir/Observation?patient=${p.id}&date=ge2015-01-01&_sort=-date&_count=50`);
      const dates = res.body.entry?.map((e: Json) => Date.parse(e.resource.effectiveDateTime)) ?? [];
      expect(dates).toEqual([...dates].sort((a: number, b: number) => b - a));
    }
  });

  it('string: Patient?name=<prefix of the family name>', async () => {
    for (const p of patients) {
      const prefix = p.family.slice(0, 4);
      const expected = ofType('Patient').filter((r) => r.name.some((n: Json) => [n.family, ...(n.given ?? [])].some((s: string) => s.toLowerCase().startsWith(prefix.toLowerCase())))).length;
      expect(await total(`Patient?name=${encodeURIComponent(prefix)}`)).toBe(expected);
    }
  });

  it('_has and chaining agree with the raw data', async () => {
    const code = codes(ofType('Observation')[0])[0];
    const withCode = new Set(ofType('Observation').filter((o) => codes(o).includes(code)).map((o) => o.subject.reference));
    expect(await total(`Patient?_has:Observation:patient:code=${encodeURIComponent(code)}`)).toBe(withCode.size);
    for (const p of patients) {
      const fullUrl = raw.find((r) => r.resourceType === 'Patient' && r.id === p.resource.id)!.fullUrl;
      const expected = ofType('Observation').filter((o) => subjectIs(o, fullUrl)).length;
      expect(await total(`Observation?subject:Patient.family=${encodeURIComponent(p.family)}`)).toBe(expected);
    }
  });

  it('token :text: Condition?code:text=<word>', async () => {
    const word = 'disorder';
    const expected = ofType('Condition').filter((c) => (c.code.text ?? '').toLowerCase().includes(word) || c.code.coding.some((x: Json) => (x.display ?? '').toLowerCase().includes(word))).length;
    expect(expected).toBeGreaterThan(0);
    expect(await total(`Condition?code:text=${word}`)).toBe(expected);
  });

  it('_include brings each encounter\'s patient', async () => {
    const res = await t.api.get('/fhir/Encounter?_include=Encounter:patient&_count=50');
    const included = res.body.entry.filter((e: Json) => e.search.mode === 'include');
    expect(included.length).toBeGreaterThan(0);
    expect(included.every((e: Json) => e.resource.resourceType === 'Patient')).toBe(true);
  });
});

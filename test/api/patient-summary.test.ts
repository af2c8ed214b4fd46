// Patient/$summary (issue 7, point 4): a document Bundle whose Composition has the VSM/IPS sections, each filled
// with exactly what the equivalent search returns, valid against the hub's profile; HTML rendering; persist=true.
import { createResource, postJson } from '../support/fhir-api';
import { loadSyntheaPatient } from '../support/synthea';
import { BASE, startTestHub, type TestHub } from '../support/test-hub';

jest.setTimeout(180_000);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROFILE = 'https://fhir-hub.fr/ig/StructureDefinition/fhir-hub-patient-summary';
let t: TestHub;
let patientId: string;
let raw: Json[];

beforeAll(async () => {
  t = await startTestHub();
  ({ patientId, raw } = await loadSyntheaPatient(t, '1ae8d602-4b41-4571-8c49-b460a22892c2.json.bz2'));
  // The record ends in 2021: "now" is pinned just after its last document so the 12-month window has letters.
  const last = Math.max(...raw.filter((r) => r.resourceType === 'DocumentReference').map((r) => Date.parse(r.date)));
  t.ctx.now = () => new Date(last + 24 * 3600 * 1000);
});
afterAll(async () => t.close());

async function ids(query: string): Promise<string[]> {
  const res = await t.api.get(`/fhir/${query}${query.includes('?') ? '&' : '?'}_count=1000`);
  if (res.status !== 200) throw new Error(`${query} → ${res.status} ${res.text.slice(0, 300)}`);
  return ((res.body.entry ?? []) as Json[]).map((e) => `${e.resource.resourceType}/${e.resource.id}`);
}

/** What each section should list, asked as a client would with plain searches. */
async function expectedSections(): Promise<Record<string, string[]>> {
  const p = patientId;
  const since = new Date(t.ctx.now());
  since.setUTCFullYear(since.getUTCFullYear() - 1);
  const vitals = await t.api.get(`/fhir/Observation?patient=${p}&category=vital-signs&_sort=-date&_count=1000`);
  const seen = new Set<string>();
  const latest = ((vitals.body.entry ?? []) as Json[]).filter((e) => {
    const c = e.resource.code.coding[0];
    const key = `${c.system}|${c.code}`;
    return !seen.has(key) && Boolean(seen.add(key));
  });
  return {
    '11450-4': await ids(`Condition?patient=${p}&clinical-status=active`),
    '10160-0': [...(await ids(`MedicationRequest?patient=${p}&status=active`)), ...(await ids(`MedicationStatement?patient=${p}&status=active`))],
    '48765-2': await ids(`AllergyIntolerance?patient=${p}`),
    '11369-6': await ids(`Immunization?patient=${p}`),
    '85847-2': await ids(`CareTeam?patient=${p}&status=active`),
    '18776-5': await ids(`CarePlan?patient=${p}&status=active`),
    'letters-12-months': await ids(`DocumentReference?patient=${p}&date=${encodeURIComponent(`ge${since.toISOString()}`)}`),
    '8716-3': latest.map((e) => `Observation/${e.resource.id}`),
  };
}

describe('Patient/$summary of a Synthea patient', () => {
  let doc: Json;
  beforeAll(async () => {
    const res = await t.api.get(`/fhir/Patient/${patientId}/$summary`);
    expect(res.status).toBe(200);
    doc = res.body;
  });

  it('is a document Bundle: Composition first, identifier, timestamp', () => {
    expect(doc.resourceType).toBe('Bundle');
    expect(doc.type).toBe('document');
    expect(doc.identifier.value).toMatch(/^urn:uuid:/);
    expect(Number.isNaN(Date.parse(doc.timestamp))).toBe(false);
    const composition = doc.entry[0].resource;
    expect(composition.resourceType).toBe('Composition');
    expect(composition.type.coding[0]).toMatchObject({ system: 'http://loinc.org', code: '60591-5' });
    expect(composition.subject.reference).toBe(`Patient/${patientId}`);
  });

  it('fills every section the data allows, with exactly what a direct search returns', async () => {
    const composition = doc.entry[0].resource;
    const expected = await expectedSections();
    const got: Record<string, string[]> = {};
    for (const s of composition.section as Json[]) got[s.code.coding[0].code] = ((s.entry ?? []) as Json[]).map((e) => e.reference).sort();
    for (const k of Object.keys(expected)) expected[k].sort();
    expect(got).toEqual(expected);
    // This patient's record has something for each of the eight sections: none may come out empty.
    expect(Object.values(got).every((v) => v.length > 0)).toBe(true);
    for (const s of composition.section as Json[]) {
      expect(s.text.status).toBe('generated');
      expect(s.text.div).toMatch(/^<div xmlns="http:\/\/www\.w3\.org\/1999\/xhtml">/);
      if (s.entry) {
        expect(s.emptyReason).toBeUndefined();
        expect(s.text.div).toContain('<table>');
      } else expect(s.emptyReason.coding[0].code).toBe('unavailable');
    }
  });

  it('holds every resource the Composition references, each once, at a fullUrl that resolves', async () => {
    const composition = doc.entry[0].resource;
    const fullUrls = (doc.entry as Json[]).map((e) => e.fullUrl);
    expect(new Set(fullUrls).size).toBe(fullUrls.length);
    const refs = [composition.subject.reference, ...(composition.section as Json[]).flatMap((s) => ((s.entry ?? []) as Json[]).map((e) => e.reference))];
    for (const ref of refs) expect(fullUrls).toContain(`${BASE}/${ref}`);
    // Practitioners and organisations the entries point at come along.
    expect((doc.entry as Json[]).some((e) => e.resource.resourceType === 'Practitioner' || e.resource.resourceType === 'Organization')).toBe(true);
    for (const url of fullUrls.slice(1)) {
      const res = await t.api.get((url as string).replace(BASE, '/fhir'));
      expect([url, res.status]).toEqual([url, 200]);
    }
  });

  it('validates against the hub patient-summary profile', async () => {
    const composition = doc.entry[0].resource;
    const res = await postJson(t, `/fhir/Composition/$validate?profile=${encodeURIComponent(PROFILE)}`, composition);
    expect(res.status).toBe(200);
    expect(res.body.issue.filter((i: Json) => i.severity === 'error' || i.severity === 'fatal')).toEqual([]);
    expect(res.body.issue.some((i: Json) => /not held/.test(i.diagnostics ?? ''))).toBe(false);
    // The profile bites: without its allergies section the same Composition is refused.
    const broken = { ...composition, section: (composition.section as Json[]).filter((s) => s.code.coding[0].code !== '48765-2') };
    const bad = await postJson(t, `/fhir/Composition/$validate?profile=${encodeURIComponent(PROFILE)}`, broken);
    expect(bad.body.issue.some((i: Json) => i.severity === 'error' && (i.expression ?? []).includes('Composition.section'))).toBe(true);
  });
});

describe('rendering and errors', () => {
  let evil: string;
  beforeAll(async () => {
    evil = await createResource(t, { resourceType: 'Patient', name: [{ family: '<script>alert("nom")</script>', given: ['Eve & Co'] }] });
    await createResource(t, {
      resourceType: 'Condition',
      subject: { reference: `Patient/${evil}` },
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      code: { text: '<script>alert(1)</script><img src=x onerror=alert(2)>' },
    });
  });

  it('_format=html renders one HTML page with every string escaped', async () => {
    const res = await t.api.get(`/fhir/Patient/${evil}/$summary?_format=html`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(/^<!DOCTYPE html>/);
    expect(res.text).not.toMatch(/<script|<img/i);
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(res.text).toContain('Eve &amp; Co');
    for (const title of ['Problèmes actifs', 'Traitements en cours', 'Allergies et intolérances', 'Derniers signes vitaux']) expect(res.text).toContain(title);
    // The same through Accept, as a browser asks.
    const viaAccept = await t.api.get(`/fhir/Patient/${evil}/$summary`).set('Accept', 'text/html,application/xhtml+xml');
    expect(viaAccept.headers['content-type']).toMatch(/^text\/html/);
    // The JSON narrative is escaped too.
    const json = await t.api.get(`/fhir/Patient/${evil}/$summary`);
    const problems = json.body.entry[0].resource.section[0];
    expect(problems.text.div).not.toMatch(/<script|<img/);
  });

  it('unknown patient: 404; a bad persist value: 400 with its expression', async () => {
    const missing = await t.api.get('/fhir/Patient/nobody-here/$summary');
    expect(missing.status).toBe(404);
    expect(missing.body.issue[0].code).toBe('not-found');
    const bad = await t.api.get(`/fhir/Patient/${evil}/$summary?persist=maybe`);
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].expression).toEqual(['persist']);
  });

  it('is advertised in the CapabilityStatement', async () => {
    const res = await t.api.get('/fhir/metadata');
    const patient = (res.body.rest[0].resource as Json[]).find((r) => r.type === 'Patient')!;
    expect(patient.operation.map((o: Json) => o.name)).toEqual(expect.arrayContaining(['summary', 'everything']));
  });
});

describe('persist=true', () => {
  it('stores the document as a DocumentReference + Binary found by search, content byte-identical', async () => {
    const res = await postJson(t, `/fhir/Patient/${patientId}/$summary`, { resourceType: 'Parameters', parameter: [{ name: 'persist', valueBoolean: true }] });
    expect(res.status).toBe(201);
    expect(res.headers.location).toMatch(new RegExp(`^${BASE}/DocumentReference/[^/]+/_history/1$`));
    const found = await t.api.get(`/fhir/DocumentReference?patient=${patientId}&type=${encodeURIComponent('http://loinc.org|60591-5')}`);
    expect(found.body.total).toBe(1);
    const docRef = found.body.entry[0].resource;
    expect(res.headers.location).toContain(`/DocumentReference/${docRef.id}/`);
    expect(docRef.masterIdentifier.value).toBe(res.body.identifier.value);
    expect(docRef.subject.reference).toBe(`Patient/${patientId}`);
    expect(docRef.author[0].reference).toBe('#hub');
    const attachment = docRef.content[0].attachment;
    expect(attachment.contentType).toBe('application/fhir+json');
    const binary = await t.api.get(attachment.url.replace(BASE, '/fhir')).set('Accept', 'application/fhir+json');
    expect(binary.status).toBe(200);
    const stored = binary.body.resourceType === 'Binary' ? Buffer.from(binary.body.data, 'base64').toString('utf8') : binary.text;
    expect(stored).toBe(res.text);
    expect(attachment.size).toBe(Buffer.byteLength(res.text));
  });
});

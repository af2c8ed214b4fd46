// Lettres de liaison received in their three forms (issue 7 §1-2): filed, routed to the médecin traitant and the
// care team, follow-up Task opened; an unknown identity goes to identity vigilance and creates no patient.
import type { Bundle } from '@medplum/fhirtypes';
import { auth, seedInternal } from '../support/security';
import { docRefOf, letterFile, reportOf, send, startLettersHub, type LettersEnv } from '../support/letters';

let env: LettersEnv;
beforeAll(async () => {
  env = await startLettersHub();
});
afterAll(() => env?.close());

const GP_HELENE = { role: 'PractitionerRole/rpps-19999900012-msp-clos-fleuri', idNatPs: '819999900012' };
const GP_GERARD = { role: 'PractitionerRole/rpps-19999900020-msp-clos-fleuri', idNatPs: '819999900020' };
const GP_FRANCOIS = { role: 'PractitionerRole/rpps-19999900046-msp-bords-de-loire', idNatPs: '819999900046' };

async function search(token: string, query: string): Promise<Bundle> {
  const res = await env.t.api.get(`/fhir/${query}`).set(auth(token));
  expect(res.status).toBe(200);
  return res.body;
}
const resources = (b: Bundle) => (b.entry ?? []).map((e) => e.resource as any);
/** `Type/id` of an absolute, versioned Location. */
const idOf = (location: string) => location.replace(/^.*\/fhir\//, '').replace(/\/_history\/.*$/, '');

test('an MHD provide bundle with a PDF is filed and routed: Communication and follow-up Task for the médecin traitant', async () => {
  const res = await send(env, await env.hospital(), '/fhir', letterFile('mhd-provide-pdf.json'));
  expect(res.status).toBe(200);
  expect(res.body.type).toBe('transaction-response');
  expect(res.body.entry).toHaveLength(3);
  expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '201 Created', '201 Created']);
  const report = reportOf(res.body).map((i) => i.diagnostics);
  expect(report[0]).toMatch(/Letter filed as DocumentReference\/\S+ \(mhd-pdf\) for Patient\/patient-helene-lefebvre \(identified by INS\)/);
  expect(report.some((d) => /Created Communication\/\S+: to Dr Claire Moreau/.test(d!))).toBe(true);
  expect(report.some((d) => /Created Task\/\S+: follow-up Task/.test(d!))).toBe(true);

  const gp = await env.professional(GP_HELENE.idNatPs);
  const comms = resources(await search(gp, `Communication?recipient=${GP_HELENE.role}`));
  expect(comms).toHaveLength(1);
  const docId = idOf(res.body.entry[1].response.location).split('/')[1];
  expect(comms[0].payload[0].contentReference.reference).toBe(`DocumentReference/${docId}`);
  expect(comms[0].subject.reference).toBe('Patient/patient-helene-lefebvre');
  expect(comms[0].sender.reference).toBe('Organization/ch-val-orleans-site-loire');
  const tasks = resources(await search(gp, `Task?owner=${GP_HELENE.role}&code=consultation-post-sortie`));
  expect(tasks).toHaveLength(1);
  // Discharged 2026-11-19: seen by the médecin traitant by 2026-11-26.
  expect(tasks[0].restriction.period.end).toBe('2026-11-26');
  expect(tasks[0].focus.reference).toBe(`DocumentReference/${docId}`);
  // The care team is notified too, one Communication per team.
  const team = resources(await search(await env.hospital('system/Communication.rs'), 'Communication?recipient=CareTeam/careteam-helene-lefebvre'));
  expect(team).toHaveLength(1);
});

test('an MHD provide bundle with a CDA lettre de liaison: the header fills and matches the DocumentReference', async () => {
  const bundle = letterFile('mhd-provide-cda.json');
  const doc = docRefOf(bundle);
  delete doc.description;
  delete doc.securityLabel;
  const res = await send(env, await env.hospital(), '/fhir', bundle);
  expect(res.status).toBe(200);
  const report = reportOf(res.body).map((i) => i.diagnostics);
  expect(report[0]).toMatch(/\(mhd-cda\) for Patient\/patient-gerard-fournier \(identified by INS\)/);
  expect(report.some((d) => /Filled from the CDA header: description, securityLabel/.test(d!))).toBe(true);
  const stored = await env.t.api.get(`/fhir/${idOf(res.body.entry[1].response.location)}`).set(auth(await env.hospital('system/DocumentReference.r'))).expect(200);
  expect(stored.body.description).toBe('Lettre de liaison à la sortie — cardiologie');
  expect(stored.body.securityLabel[0].coding[0].code).toBe('N');
  expect(stored.body.subject.reference).toBe('Patient/patient-gerard-fournier');
  expect(stored.body.content[0].attachment.url).toMatch(/^Binary\/[A-Za-z0-9-]+$/);
  const tasks = resources(await search(await env.professional(GP_GERARD.idNatPs), `Task?owner=${GP_GERARD.role}`));
  expect(tasks.map((t) => t.restriction.period.end)).toEqual(['2026-11-27']);
});

test('a FHIR document POSTed to Bundle is stored, filed with a DocumentReference and routed', async () => {
  const res = await send(env, await env.hospital(), '/fhir/Bundle', letterFile('document-bundle.json'));
  expect(res.status).toBe(201);
  expect(res.headers.location).toMatch(/\/fhir\/Bundle\/[^/]+\/_history\/1$/);
  expect(res.body.resourceType).toBe('OperationOutcome');
  const report = res.body.issue.map((i: any) => i.diagnostics);
  expect(report[1]).toMatch(/\(document\) for Patient\/patient-francois-dubois/);
  const gp = await env.professional(GP_FRANCOIS.idNatPs);
  const comms = resources(await search(gp, `Communication?recipient=${GP_FRANCOIS.role}`));
  expect(comms).toHaveLength(1);
  const docs = resources(await search(gp, 'DocumentReference?patient=Patient/patient-francois-dubois&type=http://loinc.org|11490-0'));
  expect(docs).toHaveLength(1);
  expect(docs[0].content[0].attachment.url).toBe(idOf(res.headers.location));
  expect(docs[0].content[0].attachment.contentType).toBe('application/fhir+json');
  const tasks = resources(await search(gp, `Task?owner=${GP_FRANCOIS.role}&status=requested`));
  expect(tasks.map((t) => t.restriction.period.end)).toEqual(['2026-11-25']);
});

test('an unknown INS: reconciliation Task for identity vigilance, no Patient created, nobody notified', async () => {
  const hospital = await env.hospital('system/*.rs');
  const count = async (type: string) => (await search(hospital, `${type}?_summary=count`)).total;
  const before = { patients: await count('Patient'), comms: await count('Communication') };
  const bundle = letterFile('mhd-provide-pdf.json');
  const doc = docRefOf(bundle);
  doc.subject = { identifier: { system: 'urn:oid:1.2.250.1.213.1.4.8', value: '299129912345678' } };
  (doc.contained![2] as any).identifier[0].value = '299129912345678';
  (doc.contained![2] as any).name[0].family = 'Inconnue';
  const res = await send(env, await env.hospital(), '/fhir', bundle);
  expect(res.status).toBe(200);
  const report = reportOf(res.body);
  expect(report[0].diagnostics).toMatch(/without a patient \(identity not resolved\)/);
  expect(report.some((i) => i.severity === 'warning' && /no patient carries the INS 299129912345678/.test(i.diagnostics!))).toBe(true);
  expect(await count('Patient')).toBe(before.patients);
  expect(await count('Communication')).toBe(before.comms);
  const tasks = resources(await search(hospital, 'Task?owner=Organization/hub-identitovigilance&code=rapprochement-identite'));
  expect(tasks).toHaveLength(1);
  expect(tasks[0].for).toBeUndefined();
  expect(tasks[0].description).toMatch(/INS 299129912345678/);
  const docId = idOf(res.body.entry[1].response.location).split('/')[1];
  const stored = await search(hospital, `DocumentReference?_id=${docId}`);
  expect(resources(stored)[0].subject).toEqual({ identifier: { system: 'urn:oid:1.2.250.1.213.1.4.8', value: '299129912345678' } });
});

test('a patient without médecin traitant: the care team is notified and a warning says no follow-up Task was made', async () => {
  const bundle = letterFile('mhd-provide-pdf.json');
  const doc = docRefOf(bundle);
  doc.subject = { identifier: { system: 'urn:oid:1.2.250.1.213.1.4.8', value: '292062A00491353' } };
  Object.assign(doc.contained![2], { identifier: [doc.subject.identifier], name: [{ use: 'official', family: 'Ménard', given: ['Anaïs'] }], birthDate: '1992-06-11' });
  const res = await send(env, await env.hospital(), '/fhir', bundle);
  expect(res.status).toBe(200);
  const report = reportOf(res.body);
  expect(report[0].diagnostics).toMatch(/Patient\/patient-anais-menard/);
  expect(report.some((i) => i.severity === 'warning' && /has no médecin traitant on this hub: no follow-up consultation Task/.test(i.diagnostics!))).toBe(true);
  expect(report.some((i) => /Created Task/.test(i.diagnostics!))).toBe(false);
});

test('identification by strict traits when the letter carries no INS; ambiguity is never guessed', async () => {
  const bundle = letterFile('mhd-provide-pdf.json');
  const doc = docRefOf(bundle);
  delete doc.subject;
  (doc.contained![2] as any).identifier = [{ system: 'urn:oid:1.2.250.1.999.45.459900114.1', value: 'IPP-77' }];
  const res = await send(env, await env.hospital(), '/fhir', bundle);
  expect(res.status).toBe(200);
  expect(reportOf(res.body)[0].diagnostics).toMatch(/Patient\/patient-helene-lefebvre \(identified by traits\)/);

  // A second record with the same strict traits (a duplicate identity): the hub does not choose.
  await seedInternal(env.t, [{ resourceType: 'Patient', id: 'doublon-helene', name: [{ use: 'official', family: 'ROUSSEL', given: ['Helene'] }], gender: 'female', birthDate: '1948-03-14' }]);
  const again = await send(env, await env.hospital(), '/fhir', bundle);
  expect(again.body.issue?.[0]?.diagnostics).toBeUndefined();
  expect(again.status).toBe(200);
  const report = reportOf(again.body);
  expect(report[0].diagnostics).toMatch(/without a patient/);
  expect(report.find((i) => i.severity === 'warning')!.diagnostics).toMatch(/Patient not identified \(ambiguous\): the letter carries no INS, and 2 patients share its strict identity traits/);
});

test('a transaction is a provide bundle by its SubmissionSet even without meta.profile; a document inside a plain transaction is only stored', async () => {
  const bundle = letterFile('mhd-provide-cda.json');
  delete bundle.meta;
  docRefOf(bundle).masterIdentifier!.value += '.9';
  const res = await send(env, await env.hospital(), '/fhir', bundle);
  expect(res.status).toBe(200);
  expect(reportOf(res.body)[0].diagnostics).toMatch(/\(mhd-cda\) for Patient\/patient-gerard-fournier/);

  const hospital = await env.hospital('system/*.rs');
  const before = (await search(hospital, 'Communication?_summary=count')).total;
  const plain = { resourceType: 'Bundle', type: 'transaction', entry: [{ fullUrl: 'urn:uuid:3c0a1d52-0000-4000-8000-0000000000aa', resource: letterFile('document-bundle.json'), request: { method: 'POST', url: 'Bundle' } }] };
  const stored = await send(env, await env.hospital(), '/fhir', plain);
  expect(stored.status).toBe(200);
  expect(stored.body.entry[0].response.status).toBe('201 Created');
  expect((await search(hospital, 'Communication?_summary=count')).total).toBe(before);
});

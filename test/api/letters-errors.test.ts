// Letters refused with precise answers (issue 7 §1, §4): malformed CDA, bytes that are not their content type,
// CDA ↔ DocumentReference contradictions, a sender not entitled to the FINESS; and nothing is left behind.
import { auth } from '../support/security';
import { binaryOf, docRefOf, letterFile, send, SENDER_SCOPE, startLettersHub, type LettersEnv } from '../support/letters';

let env: LettersEnv;
beforeAll(async () => {
  env = await startLettersHub();
});
afterAll(() => env?.close());

/** Every resource and version but the audit trail's (refusals are audited, by design). */
async function footprint(): Promise<number[]> {
  const q = async (sql: string) => Number((await env.t.ctx.db.query<{ n: number }>(sql)).rows[0].n);
  return [
    await q(`SELECT count(*)::int AS n FROM resource WHERE res_type <> 'AuditEvent'`),
    await q(`SELECT count(*)::int AS n FROM resource_history h JOIN resource r ON r.rid = h.rid WHERE r.res_type <> 'AuditEvent'`),
    await q(`SELECT count(*)::int AS n FROM outbox WHERE res_type <> 'AuditEvent'`),
  ];
}

async function refused(body: unknown, token?: string, url = '/fhir') {
  const before = await footprint();
  const res = await send(env, token ?? (await env.hospital()), url, body);
  expect(await footprint()).toEqual(before);
  expect(res.body.resourceType).toBe('OperationOutcome');
  return { status: res.status, issues: res.body.issue as { code: string; diagnostics: string; expression?: string[] }[] };
}

const cdaLetter = (xml: string | Buffer) => {
  const b = letterFile('mhd-provide-cda.json');
  binaryOf(b).data = Buffer.from(xml).toString('base64');
  const att = docRefOf(b).content[0].attachment;
  delete att.size;
  delete att.hash;
  return b;
};

test('a malformed CDA document: 400 saying where the XML breaks', async () => {
  const r = await refused(cdaLetter('<?xml version="1.0"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3">\n  <title>Lettre</titl>\n</ClinicalDocument>'));
  expect(r.status).toBe(400);
  expect(r.issues[0].diagnostics).toMatch(/not well-formed XML: .*line 3/);
  expect(r.issues[0].expression).toEqual(['Bundle.entry[2].resource.data']);
});

test('XML that is no ClinicalDocument, and a DTD: refused', async () => {
  const notCda = await refused(cdaLetter('<?xml version="1.0"?><Patient xmlns="http://hl7.org/fhir"/>'));
  expect(notCda.status).toBe(422);
  expect(notCda.issues[0].diagnostics).toMatch(/CDA R2 document\) but its XML is not a CDA R2 document: its root element is not ClinicalDocument/);
  const dtd = await refused(cdaLetter('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><ClinicalDocument>&a;</ClinicalDocument>'));
  expect(dtd.status).toBe(400);
  expect(dtd.issues[0].diagnostics).toMatch(/DOCTYPE/);
});

test('a PDF with the wrong content type, and a "PDF" that is not one: 422 naming the Binary contentType', async () => {
  const pdfAsXml = letterFile('mhd-provide-pdf.json');
  binaryOf(pdfAsXml).contentType = 'text/xml';
  docRefOf(pdfAsXml).content[0].attachment.contentType = 'text/xml';
  const a = await refused(pdfAsXml);
  expect(a.status).toBe(422);
  expect(a.issues[0].diagnostics).toMatch(/says text\/xml \(a CDA R2 document\) but its bytes are a PDF/);
  expect(a.issues[0].expression).toEqual(['Bundle.entry[2].resource.contentType']);

  const fake = letterFile('mhd-provide-pdf.json');
  binaryOf(fake).data = Buffer.from('Bonjour, ceci est du texte').toString('base64');
  const b = await refused(fake);
  expect(b.status).toBe(422);
  expect(b.issues[0].diagnostics).toMatch(/says application\/pdf but its bytes are not a PDF/);

  const zip = letterFile('mhd-provide-pdf.json');
  binaryOf(zip).contentType = 'application/zip';
  expect((await refused(zip)).status).toBe(415);

  const mismatch = letterFile('mhd-provide-pdf.json');
  docRefOf(mismatch).content[0].attachment.hash = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
  const m = await refused(mismatch);
  expect(m.status).toBe(422);
  expect(m.issues[0].expression).toEqual(['Bundle.entry[1].resource.content[0].attachment.hash']);
});

test('INS of the CDA ≠ INS of the DocumentReference subject: 422 naming both elements', async () => {
  const b = letterFile('mhd-provide-cda.json');
  const doc = docRefOf(b);
  doc.subject = { identifier: { system: 'urn:oid:1.2.250.1.213.1.4.8', value: '248034523498714' } };
  (doc.contained![2] as any).identifier[0].value = '248034523498714';
  const r = await refused(b);
  expect(r.status).toBe(422);
  expect(r.issues[0].expression).toEqual(['Bundle.entry[1].resource.subject']);
  expect(r.issues[0].diagnostics).toMatch(/INS of the CDA document \(ClinicalDocument\/recordTarget\/patientRole\/id\[@root='1.2.250.1.213.1.4.8'\]: 143014520899282\) is not the INS of the DocumentReference's subject \(248034523498714\)/);
});

test('document code of the CDA ≠ DocumentReference.type: 422 naming type', async () => {
  const b = letterFile('mhd-provide-cda.json');
  docRefOf(b).type = { coding: [{ system: 'http://loinc.org', code: '34133-9' }] };
  const r = await refused(b);
  expect(r.status).toBe(422);
  expect(r.issues[0].expression).toEqual(['Bundle.entry[1].resource.type']);
  expect(r.issues[0].diagnostics).toMatch(/ClinicalDocument\/code: 11490-0\) is not the DocumentReference's type \(34133-9\)/);
});

test('a system not entitled to the FINESS: 403 naming it; a professional sends for the organisations of their roles', async () => {
  const r = await refused(letterFile('mhd-provide-pdf.json'), await env.stranger());
  expect(r.status).toBe(403);
  expect(r.issues[0].code).toBe('forbidden');
  expect(r.issues[0].diagnostics).toMatch(/"his-other" may not send letters for the établissement FINESS 459900114: it may send for FINESS 459900106/);
  const doc = await refused(letterFile('document-bundle.json'), await env.stranger(), '/fhir/Bundle');
  expect(doc.status).toBe(403);

  const gp = await env.professional('819999900012', 'user/*.cruds');
  expect((await refused(letterFile('mhd-provide-pdf.json'), gp)).status).toBe(403);
  // The document's author, a pneumologist of the hospital site, sends it herself.
  const author = await env.professional('819999900152', 'user/*.cruds');
  const ok = await send(env, author, '/fhir/Bundle', letterFile('document-bundle.json'));
  expect(ok.status).toBe(201);
});

test('atomic: a refusal in the middle of the transaction (no right to create Tasks) leaves nothing', async () => {
  const scope = SENDER_SCOPE.replace('system/Task.cr', 'system/Task.r');
  const r = await refused(letterFile('mhd-provide-pdf.json'), await env.hospital(scope));
  expect(r.status).toBe(403);
  expect(r.issues.some((i) => /create Task/.test(i.diagnostics))).toBe(true);
  // Nothing of the letter is searchable afterwards (refused() also compared every table but the audit trail).
  const docs = await env.t.api.get('/fhir/DocumentReference?patient=Patient/patient-helene-lefebvre&_summary=count').set(auth(await env.hospital('system/DocumentReference.rs')));
  expect(docs.body.total).toBe(0);
});

test('a provide bundle may not create a patient', async () => {
  const b = letterFile('mhd-provide-pdf.json');
  b.entry!.push({ fullUrl: 'urn:uuid:7f1e0000-0000-4000-8000-000000000001', resource: { resourceType: 'Patient', name: [{ family: 'Nouveau' }] }, request: { method: 'POST', url: 'Patient' } });
  const r = await refused(b);
  expect(r.status).toBe(422);
  expect(r.issues[0].expression).toEqual(['Bundle.entry[3]']);
});

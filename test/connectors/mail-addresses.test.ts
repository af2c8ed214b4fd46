// Issue 8, who is mailed (docs/mail-bridge.md): a secure-email Endpoint (directly or through a Practitioner's role),
// or an email telecom of a person who cannot log in; and the reverse, From address → sender. Plus the INS of
// attached documents (CDA R2 header, FHIR document Bundle).
import fs from 'node:fs';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { holdersOf, mailAddressOf } from '../../src/connectors/mail/addresses';
import { insOfAttachments } from '../../src/connectors/mail/inbound-match';
import { putJson } from '../support/fhir-api';
import { startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
const SECURE_EMAIL = { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'secure-email' };
const endpoint = (id: string, address: string, status = 'active') => ({
  resourceType: 'Endpoint',
  id,
  status,
  connectionType: SECURE_EMAIL,
  payloadType: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type', code: 'any' }] }],
  address,
});

beforeAll(async () => {
  t = await startTestHub();
  const put = async (r: { resourceType: string; id: string; [k: string]: unknown }) => {
    const res = await putJson(t, `/fhir/${r.resourceType}/${r.id}`, r);
    if (res.status >= 300) throw new Error(`${r.resourceType}/${r.id}: ${res.status} ${res.text}`);
  };
  await put(endpoint('ep-clinique', 'mailto:Secretariat@clinique.mssante.fr'));
  await put(endpoint('ep-martin', 'mailto:dr.martin@medecin.mssante.fr'));
  await put(endpoint('ep-off', 'mailto:ferme@clinique.mssante.fr', 'off'));
  await put({ resourceType: 'Organization', id: 'org-clinique', name: 'Clinique', endpoint: [{ reference: 'Endpoint/ep-clinique' }] });
  await put({ resourceType: 'HealthcareService', id: 'hs-off', name: 'Service fermé', endpoint: [{ reference: 'Endpoint/ep-off' }] });
  await put({ resourceType: 'Practitioner', id: 'pr-martin', identifier: [{ system: 'https://rpps.esante.gouv.fr', value: '19999900020' }], telecom: [{ system: 'email', value: 'martin@gmail.example' }] });
  await put({ resourceType: 'PractitionerRole', id: 'role-martin', active: true, practitioner: { reference: 'Practitioner/pr-martin' }, endpoint: [{ reference: 'Endpoint/ep-martin' }] });
  await put({ resourceType: 'Practitioner', id: 'pr-login', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: '819999900012' }], telecom: [{ system: 'email', value: 'claire@msp.example' }] });
  await put({ resourceType: 'Patient', id: 'pt-1', name: [{ family: 'Test' }] });
  await put({ resourceType: 'RelatedPerson', id: 'rp-fille', patient: { reference: 'Patient/pt-1' }, telecom: [{ system: 'phone', value: '0600000000' }, { system: 'email', value: 'Fille@famille.example' }] });
});
afterAll(() => t?.close());

test('forward: the address each recipient is mailed at, or none', async () => {
  const address = (ref: string) => mailAddressOf(t.ctx, t.ctx.db, ref);
  expect(await address('Organization/org-clinique')).toBe('secretariat@clinique.mssante.fr');
  expect(await address('PractitionerRole/role-martin')).toBe('dr.martin@medecin.mssante.fr');
  // A Practitioner through his role's secure-email Endpoint, never his personal address.
  expect(await address('Practitioner/pr-martin')).toBe('dr.martin@medecin.mssante.fr');
  expect(await address('HealthcareService/hs-off')).toBeUndefined();
  // Can log in to the hub (idNat_PS): reached there, not by mail.
  expect(await address('Practitioner/pr-login')).toBeUndefined();
  expect(await address('RelatedPerson/rp-fille')).toBe('fille@famille.example');
  expect(await address('Patient/pt-1')).toBeUndefined();
  expect(await address('Practitioner/absent')).toBeUndefined();
});

test('reverse: who a From address is', async () => {
  expect((await holdersOf(t.ctx, 'DR.MARTIN@medecin.mssante.fr')).sort()).toEqual(['Practitioner/pr-martin', 'PractitionerRole/role-martin']);
  expect(await holdersOf(t.ctx, 'secretariat@clinique.mssante.fr')).toEqual(['Organization/org-clinique']);
  expect(await holdersOf(t.ctx, 'fille@famille.example')).toEqual(['RelatedPerson/rp-fille']);
  expect(await holdersOf(t.ctx, 'claire@msp.example')).toEqual([]);
  expect(await holdersOf(t.ctx, 'ferme@clinique.mssante.fr')).toEqual([]);
});

test('the INS of an attached CDA or FHIR document Bundle', () => {
  const letters = path.resolve(__dirname, '../../fixtures/letters');
  const mail = (filename: string, contentType: string, content: Buffer) => ({ attachments: [{ filename, contentType, content }] }) as unknown as ParsedMail;
  expect(insOfAttachments(mail('l.xml', 'application/xml', fs.readFileSync(path.join(letters, 'lettre-de-liaison-cda.xml'))))).toEqual({ system: 'urn:oid:1.2.250.1.213.1.4.8', value: '143014520899282' });
  expect(insOfAttachments(mail('d.json', 'application/fhir+json', fs.readFileSync(path.join(letters, 'document-bundle.json'))))).toMatchObject({ system: 'urn:oid:1.2.250.1.213.1.4.8', value: '151073726194115' });
  expect(insOfAttachments(mail('x.xml', 'text/xml', Buffer.from('<pas-du-cda/>')))).toBeUndefined();
  expect(insOfAttachments(mail('x.json', 'application/json', Buffer.from('{pas du json')))).toBeUndefined();
  expect(insOfAttachments(mail('x.pdf', 'application/pdf', Buffer.from('%PDF-1.4')))).toBeUndefined();
});

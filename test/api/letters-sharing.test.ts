// Document sharing in the MHD / PDSm style (issue 7 §3): DocumentReference search on the base R4 parameters,
// Binary retrieved byte-identical in its own content type, replacement and withdrawal; and the "document received"
// topic notifies a subscriber over a real rest-hook.
import type { Bundle } from '@medplum/fhirtypes';
import { startSubscriptions, type SubscriptionsHandle } from '../../src/subscriptions';
import { Receiver, testOptions, waitFor } from '../subscriptions/support';
import { auth } from '../support/security';
import { docRefOf, letterBytes, letterFile, send, startLettersHub, type LettersEnv } from '../support/letters';

const BP = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
let env: LettersEnv;
let subs: SubscriptionsHandle;
const receiver = new Receiver();
const filed: Record<string, { doc: string; binary?: string; bundle?: string }> = {};

const idOf = (location: string) => location.replace(/^.*\/fhir\//, '').replace(/\/_history\/.*$/, '');
// A subscription sees what its owner may read: the CPTS tool reads letters and patients.
const coordinationTool = () => env.hospital('system/Subscription.cruds system/DocumentReference.rs system/Patient.rs');
const reader = () => env.hospital('system/DocumentReference.rs system/Patient.rs system/Binary.r system/Bundle.r');

beforeAll(async () => {
  await receiver.start();
  env = await startLettersHub({ SUBSCRIPTION_ENDPOINT_ALLOW: 'http://127.0.0.1' });
  subs = startSubscriptions(env.t.ctx, testOptions());
  // A CPTS coordination tool subscribes to letters about one patient.
  const sub = {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'Lettres de liaison des patients suivis par la CPTS',
    meta: { profile: [`${BP}/backport-subscription`] },
    criteria: 'https://fhir-hub.fr/SubscriptionTopic/document-received',
    _criteria: { extension: [{ url: `${BP}/backport-filter-criteria`, valueString: 'DocumentReference?patient=Patient/patient-helene-lefebvre' }] },
    channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/fhir+json', _payload: { extension: [{ url: `${BP}/backport-payload-content`, valueCode: 'id-only' }] } },
  };
  const created = await send(env, await coordinationTool(), '/fhir/Subscription', sub);
  expect(created.body.issue).toBeUndefined();
  expect(created.status).toBe(201);
  await waitFor('handshake', () => receiver.bundles().some((b) => b.type === 'handshake'));

  for (const [name, url, file] of [['pdf', '/fhir', 'mhd-provide-pdf.json'], ['cda', '/fhir', 'mhd-provide-cda.json'], ['document', '/fhir/Bundle', 'document-bundle.json']]) {
    const res = await send(env, await env.hospital(), url, letterFile(file));
    expect(res.status).toBeLessThan(300);
    if (name === 'document') {
      const doc = /Letter filed as (DocumentReference\/\S+)/.exec(res.body.issue.map((i: any) => i.diagnostics).join('\n'))![1];
      filed[name] = { doc, bundle: idOf(res.headers.location) };
    } else {
      filed[name] = { doc: idOf(res.body.entry[1].response.location), binary: idOf(res.body.entry[2].response.location) };
    }
  }
});
afterAll(async () => {
  await subs?.stop();
  await env?.close();
  await receiver.stop();
});

async function found(query: string): Promise<string[]> {
  const res = await env.t.api.get(`/fhir/DocumentReference?${query}`).set(auth(await reader()));
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? []).map((e) => `DocumentReference/${e.resource!.id}`).sort();
}

test('DocumentReference search: patient, type, category, date, period, author, custodian, status, setting', async () => {
  const all = [filed.pdf.doc, filed.cda.doc, filed.document.doc].sort();
  expect(await found('patient=Patient/patient-helene-lefebvre')).toEqual([filed.pdf.doc]);
  expect(await found('subject:Patient.identifier=urn:oid:1.2.250.1.213.1.4.8|143014520899282')).toEqual([filed.cda.doc]);
  expect(await found('type=http://loinc.org|11490-0')).toEqual(all);
  expect(await found('category=https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument|10')).toEqual(all);
  expect(await found('date=ge2026-11-19')).toEqual([filed.pdf.doc, filed.cda.doc].sort());
  expect(await found('date=lt2026-11-19')).toEqual([filed.document.doc]);
  expect(await found('period=le2026-11-11')).toEqual([filed.document.doc]);
  expect(await found('period=ge2026-11-19')).toEqual([filed.cda.doc]); // ends after 19 November
  expect(await found('author=Practitioner/rpps-19999900152')).toEqual([filed.document.doc]);
  expect(await found('custodian=Organization/ch-val-orleans-site-loire')).toEqual(all);
  expect(await found('status=current')).toEqual(all);
  expect(await found('setting=https://mos.esante.gouv.fr/NOS/TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice|ETABLISSEMENT')).toEqual(all);
  expect(await found('patient=Patient/patient-gerard-fournier&type=http://loinc.org|11490-0&status=current')).toEqual([filed.cda.doc]);
});

test('Binary comes back byte-identical in its own content type (Accept), and as FHIR JSON otherwise', async () => {
  const token = await reader();
  const pdf = await env.t.api.get(`/fhir/${filed.pdf.binary}`).set(auth(token)).set('Accept', 'application/pdf').buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  });
  expect(pdf.status).toBe(200);
  expect(pdf.headers['content-type']).toBe('application/pdf');
  expect(Buffer.compare(pdf.body as Buffer, letterBytes('lettre-de-liaison.pdf'))).toBe(0);

  const cda = await env.t.api.get(`/fhir/${filed.cda.binary}`).set(auth(token)).set('Accept', 'text/xml');
  expect(cda.headers['content-type']).toMatch(/^text\/xml/);
  expect(cda.text).toBe(letterBytes('lettre-de-liaison-cda.xml').toString('utf8'));

  const json = await env.t.api.get(`/fhir/${filed.pdf.binary}`).set(auth(token)).set('Accept', 'application/fhir+json');
  expect(json.body.resourceType).toBe('Binary');
  expect(json.body.securityContext.reference).toBe(filed.pdf.doc);
  const wrong = await env.t.api.get(`/fhir/${filed.pdf.binary}`).set(auth(token)).set('Accept', 'image/png');
  expect(wrong.status).toBe(406);
  // The FHIR document is stored as it came.
  const stored = await env.t.api.get(`/fhir/${filed.document.bundle}`).set(auth(token));
  expect(stored.body.entry).toEqual(letterFile('document-bundle.json').entry);
});

test('a replacing letter supersedes the old one; withdrawal is entered-in-error', async () => {
  const bundle = letterFile('mhd-provide-pdf.json');
  const doc = docRefOf(bundle);
  doc.masterIdentifier = { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.45.459900114.2.700.2' };
  doc.relatesTo = [{ code: 'replaces', target: { reference: filed.pdf.doc } }];
  const res = await send(env, await env.hospital(), '/fhir', bundle);
  expect(res.status).toBe(200);
  const replacement = idOf(res.body.entry[1].response.location);
  expect(res.body.entry[1].response.outcome.issue.map((i: any) => i.diagnostics)).toContain(`Updated ${filed.pdf.doc}: ${filed.pdf.doc} superseded by this letter`);
  expect(await found('patient=Patient/patient-helene-lefebvre&status=superseded')).toEqual([filed.pdf.doc]);
  expect(await found(`relatesto=${filed.pdf.doc}`)).toEqual([replacement]);

  // Replacing it again is refused: it is no longer current.
  const again = await send(env, await env.hospital(), '/fhir', bundle);
  expect(again.status).toBe(422);
  expect(again.body.issue[0].expression).toEqual(['Bundle.entry[1].resource.relatesTo[0].target']);

  const token = await env.hospital();
  const current = await env.t.api.get(`/fhir/${replacement}`).set(auth(token));
  const withdrawn = await env.t.api.put(`/fhir/${replacement}`).set(auth(token)).set('Content-Type', 'application/fhir+json').send(JSON.stringify({ ...current.body, status: 'entered-in-error' }));
  expect(withdrawn.status).toBe(200);
  expect(await found('patient=Patient/patient-helene-lefebvre&status=entered-in-error')).toEqual([replacement]);
});

test('the document-received topic notifies the subscriber of the letters about its patient only', async () => {
  const events = await waitFor('two notifications (the letter and its replacement)', () => {
    const e = receiver.bundles().filter((b) => b.type === 'event-notification');
    return e.length >= 2 && e;
  });
  const focus = events.flatMap((e) => e.bundle.entry[0].resource.parameter.filter((p: any) => p.name === 'notification-event').map((p: any) => p.part.find((x: any) => x.name === 'focus').valueReference.reference));
  expect(focus[0]).toMatch(new RegExp(`${filed.pdf.doc}$`));
  await new Promise((r) => setTimeout(r, 300));
  // Not Gérard's nor François's letters.
  expect(receiver.bundles().filter((b) => b.type === 'event-notification')).toHaveLength(2);
});

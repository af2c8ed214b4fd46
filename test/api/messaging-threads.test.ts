// Message threads and attachments (issue 8): the hub stamps the thread, checks replies, moves attachments into Binaries;
// every Communication gets its deliveries, the letters workflow's included.
import type { Communication, Resource } from '@medplum/fhirtypes';
import { expressions, postJson, putJson, tableCounts } from '../support/fhir-api';
import { letterFile, send as sendLetter, startLettersHub, type LettersEnv } from '../support/letters';
import { auth, seedInternal } from '../support/security';
import { startTestHub, type TestHub } from '../support/test-hub';
import { expandRecipients } from '../../src/workflows/messaging/recipients';
import { THREAD_EXTENSION, threadOf } from '../../src/workflows/messaging/thread';

jest.setTimeout(120_000);
let t: TestHub;
const MAX = 2048;
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(300, 7), Buffer.from('\n%%EOF\n')]);

beforeAll(async () => {
  process.env.MESSAGE_ATTACHMENT_MAX_BYTES = String(MAX);
  t = await startTestHub();
  delete process.env.MESSAGE_ATTACHMENT_MAX_BYTES;
  await seedInternal(t, [
    { resourceType: 'Patient', id: 'p1' },
    { resourceType: 'Patient', id: 'p2' },
    { resourceType: 'Practitioner', id: 'gp' },
    { resourceType: 'Practitioner', id: 'nurse' },
  ] as Resource[]);
});
afterAll(async () => t.close());

const message = (extra: Partial<Communication> = {}): Communication => ({
  resourceType: 'Communication',
  status: 'completed',
  subject: { reference: 'Patient/p1' },
  sender: { reference: 'Practitioner/gp' },
  recipient: [{ reference: 'Practitioner/nurse' }],
  sent: new Date().toISOString(),
  payload: [{ contentString: 'Bonjour' }],
  ...extra,
});
const send = async (body: Communication) => postJson(t, '/fhir/Communication', body);
const binaryCount = async () => Number((await t.ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM resource WHERE res_type = 'Binary'")).rows[0].n);

test('a root names itself, replies join its thread, a client-supplied thread is replaced, and thread search lists the conversation', async () => {
  const root = await send(message({ sent: '2026-01-01T10:00:00Z', extension: [{ url: THREAD_EXTENSION, valueReference: { reference: 'Communication/forged' } }] }));
  expect(root.status).toBe(201);
  expect(threadOf(root.body)).toBe(`Communication/${root.body.id}`);
  const reply = await send(message({ sent: '2026-01-01T11:00:00Z', inResponseTo: [{ reference: `Communication/${root.body.id}` }] }));
  expect(threadOf(reply.body)).toBe(`Communication/${root.body.id}`);
  const second = await send(message({ sent: '2026-01-01T12:00:00Z', inResponseTo: [{ reference: `Communication/${reply.body.id}` }] }));
  expect(threadOf(second.body)).toBe(`Communication/${root.body.id}`);
  const found = await t.api.get(`/fhir/Communication?thread=Communication/${root.body.id}&_sort=sent`);
  expect(found.status).toBe(200);
  expect(found.body.entry.map((e: { resource: Communication }) => e.resource.id)).toEqual([root.body.id, reply.body.id, second.body.id]);
  // An update keeps the stored thread, whatever the client sends.
  const moved = await putJson(t, `/fhir/Communication/${second.body.id}`, { ...second.body, extension: [{ url: THREAD_EXTENSION, valueReference: { reference: 'Communication/other' } }] });
  expect(moved.status).toBe(200);
  expect(threadOf(moved.body)).toBe(`Communication/${root.body.id}`);
});

test('a transaction POST with a urn:uuid fullUrl names its assigned id as thread root', async () => {
  const res = await postJson(t, '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [{ fullUrl: 'urn:uuid:6c1b0d9e-1111-4a4a-9a9a-000000000001', resource: message(), request: { method: 'POST', url: 'Communication' } }] });
  expect(res.status).toBe(200);
  const id = res.body.entry[0].response.location.split('/Communication/')[1].split('/')[0];
  const read = await t.api.get(`/fhir/Communication/${id}`);
  expect(threadOf(read.body)).toBe(`Communication/${id}`);
});

test('replies to an unknown message or about another patient are refused with 422', async () => {
  const unknown = await send(message({ inResponseTo: [{ reference: 'Communication/nope' }] }));
  expect(unknown.status).toBe(422);
  expect(expressions(unknown.body)).toEqual(['Communication.inResponseTo[0]']);
  expect(unknown.body.issue[0].diagnostics).toContain('Communication/nope');
  const root = await send(message());
  const other = await send(message({ subject: { reference: 'Patient/p2' }, inResponseTo: [{ reference: `Communication/${root.body.id}` }] }));
  expect(other.status).toBe(422);
  expect(expressions(other.body)).toEqual(['Communication.subject']);
});

test('an inline attachment is moved into a Binary and read back byte for byte', async () => {
  const res = await send(message({ payload: [{ contentString: 'CR joint' }, { contentAttachment: { contentType: 'application/pdf', data: PDF.toString('base64'), title: 'cr.pdf' } }] }));
  expect(res.status).toBe(201);
  const att = res.body.payload[1].contentAttachment;
  expect(att.data).toBeUndefined();
  expect(att.url).toMatch(/^Binary\//);
  expect(att.size).toBe(PDF.length);
  expect(att.hash).toBe(require('node:crypto').createHash('sha1').update(PDF).digest('base64'));
  const raw = await t.api.get(`/fhir/${att.url}`).set('Accept', 'application/pdf').buffer(true).parse((r, cb) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => cb(null, Buffer.concat(chunks)));
  });
  expect(raw.status).toBe(200);
  expect(raw.headers['content-type']).toContain('application/pdf');
  expect(Buffer.compare(raw.body as Buffer, PDF)).toBe(0);
  const binary = await t.api.get(`/fhir/${att.url}`);
  expect(binary.body.securityContext).toEqual({ reference: 'Patient/p1' });
  // A later message may point at the stored Binary; a wrong contentType is refused.
  expect((await send(message({ payload: [{ contentAttachment: { contentType: 'application/pdf', url: att.url } }] }))).status).toBe(201);
  const wrong = await send(message({ payload: [{ contentAttachment: { contentType: 'image/png', url: att.url } }] }));
  expect(wrong.status).toBe(422);
  expect(expressions(wrong.body)).toEqual(['Communication.payload[0].contentAttachment.contentType']);
  const size = await send(message({ payload: [{ contentAttachment: { contentType: 'application/pdf', url: att.url, size: 3 } }] }));
  expect([size.status, expressions(size.body)]).toEqual([422, ['Communication.payload[0].contentAttachment.size']]);
  const missing = await send(message({ payload: [{ contentAttachment: { contentType: 'application/pdf', url: 'Binary/nope' } }] }));
  expect(expressions(missing.body)).toEqual(['Communication.payload[0].contentAttachment.url']);
});

test.each([
  ['a type outside the allow-list', { contentType: 'application/zip', data: PDF.toString('base64') }, 422, 'contentType'],
  ['no contentType', { data: PDF.toString('base64') }, 422, 'contentType'],
  ['a declared size that differs', { contentType: 'application/pdf', data: PDF.toString('base64'), size: 12 }, 422, ''],
  ['PDF bytes that are not a PDF', { contentType: 'application/pdf', data: Buffer.from('hello').toString('base64') }, 422, 'data'],
  ['a PNG that is not a PNG', { contentType: 'image/png', data: PDF.toString('base64') }, 422, 'data'],
  ['more bytes than the limit', { contentType: 'text/plain', data: Buffer.alloc(MAX + 1, 'a').toString('base64') }, 413, 'data'],
])('%s is refused, and the valid attachment before it leaves no Binary', async (_label, attachment, status, element) => {
  const before = await tableCounts(t);
  const binaries = await binaryCount();
  const body = message({ payload: [{ contentAttachment: { contentType: 'text/plain', data: Buffer.from('ok').toString('base64') } }, { contentAttachment: attachment }] });
  const res = await send(body);
  expect([res.status, res.body.issue?.[0]?.diagnostics]).toEqual([status, expect.anything()]);
  // A wrong size of inline data is caught by base validation already (expression: the attachment).
  expect(expressions(res.body)).toEqual([`Communication.payload[1].contentAttachment${element ? `.${element}` : ''}`]);
  expect(await binaryCount()).toBe(binaries);
  expect(await tableCounts(t)).toEqual(before);
});

test('a refusal after the Binary was written (reply to an unknown message) rolls the Binary back', async () => {
  const binaries = await binaryCount();
  const res = await send(message({ inResponseTo: [{ reference: 'Communication/nope' }], payload: [{ contentAttachment: { contentType: 'application/pdf', data: PDF.toString('base64') } }] }));
  expect(res.status).toBe(422);
  const tx = await postJson(t, '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: message({ payload: [{ contentAttachment: { contentType: 'application/pdf', data: PDF.toString('base64') } }] }), request: { method: 'POST', url: 'Communication' } },
      { resource: message({ inResponseTo: [{ reference: 'Communication/nope' }] }), request: { method: 'POST', url: 'Communication' } },
    ],
  });
  expect(tx.status).toBe(422);
  expect(await binaryCount()).toBe(binaries);
});

test('every stored message has its outbox event (the communication-received topic)', async () => {
  const res = await send(message());
  const events = await t.ctx.db.query("SELECT action FROM outbox WHERE res_type = 'Communication' AND id = $1", [res.body.id]);
  expect(events.rows).toEqual([{ action: 'create' }]);
});

test('a system caller names the recipient for $inbox and $mark-read; an unknown message is 404', async () => {
  const sent = await send(message({ sent: '2030-01-01T00:00:00Z' }));
  expect((await t.api.get('/fhir/Communication/$inbox')).status).toBe(400);
  const box = await t.api.get('/fhir/Communication/$inbox?recipient=Practitioner/nurse&_count=1');
  expect([box.status, box.body.entry[0].resource.id]).toEqual([200, sent.body.id]);
  expect((await t.api.post(`/fhir/Communication/${sent.body.id}/$mark-read`)).status).toBe(400);
  const read = await postJson(t, `/fhir/Communication/${sent.body.id}/$mark-read`, { resourceType: 'Parameters', parameter: [{ name: 'recipient', valueReference: { reference: 'Practitioner/nurse' } }] });
  expect(read.status).toBe(200);
  expect(read.body.parameter[0].part[2]).toEqual({ name: 'readBy', valueReference: { reference: 'Practitioner/nurse' } });
  expect((await t.api.post(`/fhir/Communication/${sent.body.id}/$mark-read?recipient=Practitioner/gp`)).status).toBe(403);
  expect((await t.api.post('/fhir/Communication/nope/$mark-read?recipient=Practitioner/gp')).status).toBe(404);
  expect((await t.api.get('/fhir/Communication/nope/$receipts')).status).toBe(404);
  expect((await t.api.get(`/fhir/Communication/${sent.body.id}/$receipts`)).body.parameter).toHaveLength(1);
});

describe('the letters workflow', () => {
  let env: LettersEnv;
  beforeAll(async () => {
    env = await startLettersHub();
  });
  afterAll(async () => env.close());

  test('the Communications it routes get a thread and one delivery per recipient, teams expanded', async () => {
    const rows = async () =>
      (await env.t.ctx.db.query<{ id: string; recipient: string; thread: string }>("SELECT r.id, d.recipient, d.thread FROM message_delivery d JOIN resource r ON r.rid = d.rid")).rows;
    const before = new Set((await rows()).map((r) => r.id));
    const res = await sendLetter(env, await env.hospital(), '/fhir', letterFile('mhd-provide-pdf.json'));
    expect(res.status).toBeLessThan(300);
    const added = (await rows()).filter((r) => !before.has(r.id));
    const ids = [...new Set(added.map((r) => r.id))];
    // One to the médecin traitant, one to the patient's care team.
    expect(ids).toHaveLength(2);
    for (const id of ids) {
      const message = (await env.t.api.get(`/fhir/Communication/${id}`).set(auth(await env.hospital('system/Communication.rs')))).body as Communication;
      const expected = await expandRecipients(env.t.ctx.db, message);
      expect(added.filter((r) => r.id === id).map((r) => r.recipient).sort()).toEqual([...expected].sort());
      expect(threadOf(message)).toBe(`Communication/${id}`);
      expect(new Set(added.filter((r) => r.id === id).map((r) => r.thread))).toEqual(new Set([`Communication/${id}`]));
    }
  });
});

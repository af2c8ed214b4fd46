// Issue 8, the mail bridge's done-when: a member known only by email receives the message at an SMTP receiver on
// loopback, and his email reply lands in the same thread. Real SMTP both ways: nodemailer and smtp-server, no mocks.
import fs from 'node:fs';
import path from 'node:path';
import type { Communication } from '@medplum/fhirtypes';
import { threadOf } from '../../src/workflows/messaging/thread';
import { postJson, putJson } from '../support/fhir-api';
import { DOMAIN, HUB_ADDRESS, LOGIN_PRACTITIONER, MAIL_ONLY, mailClient, PATIENT, sleep, startMailEnv, TEAM, until, type MailEnv } from './mail-support';

const PDF = fs.readFileSync(path.resolve(__dirname, '../../fixtures/letters/lettre-de-liaison.pdf'));

let env: MailEnv;
beforeAll(async () => {
  env = await startMailEnv();
});
afterAll(() => env?.close());

async function post(c: Communication): Promise<Communication> {
  const res = await postJson(env.t, '/fhir/Communication', c);
  expect(res.status).toBe(201);
  return res.body;
}

const message = (text: string, extra: Partial<Communication> = {}): Communication => ({
  resourceType: 'Communication',
  status: 'completed',
  subject: { reference: PATIENT },
  topic: { text: 'Suivi de M. Fournier' },
  sender: { reference: LOGIN_PRACTITIONER },
  recipient: [{ reference: TEAM }],
  sent: new Date().toISOString(),
  payload: [{ contentString: text }],
  ...extra,
});

const mailsWithId = (id: string) => env.relay.mails.filter((m) => m.parsed.messageId === `<${id}@${DOMAIN}>`);

let original: Communication;

test('a message to a care team is mailed, once, to the member known only by email, with its PDF byte for byte', async () => {
  original = await post(
    message('Bonjour, voici le compte rendu de la consultation.', {
      payload: [{ contentString: 'Bonjour, voici le compte rendu de la consultation.' }, { contentAttachment: { contentType: 'application/pdf', title: 'compte-rendu.pdf', data: PDF.toString('base64') } }],
    }),
  );
  const [mail] = await until('the mail', async () => mailsWithId(original.id!).length > 0 && mailsWithId(original.id!));
  await sleep(300);
  // The other member logs in to the hub (RPPS): he is not mailed although he has an email address.
  expect(env.relay.mails).toHaveLength(1);
  expect(mail.to).toEqual([MAIL_ONLY.address]);
  expect(mail.parsed.from?.value[0].address).toBe(HUB_ADDRESS);
  expect(mail.parsed.replyTo?.value[0].address).toBe(HUB_ADDRESS);
  expect(mail.parsed.subject).toBe('Suivi de M. Fournier');
  expect(mail.parsed.text).toContain('voici le compte rendu');
  expect(mail.parsed.attachments).toHaveLength(1);
  expect(mail.parsed.attachments[0].contentType).toBe('application/pdf');
  expect(mail.parsed.attachments[0].filename).toBe('compte-rendu.pdf');
  expect(Buffer.compare(mail.parsed.attachments[0].content, PDF)).toBe(0);
  const row = await env.t.ctx.db.query<{ status: string; message_id: string }>(`SELECT status, message_id FROM mail_outbound WHERE communication_id = $1`, [original.id]);
  expect(row.rows).toEqual([{ status: 'sent', message_id: `${original.id}@${DOMAIN}` }]);
});

let reply: Communication;

test('his email reply, with an attachment, lands in the same thread', async () => {
  const info = await mailClient(env.bridge.inboundPort!).sendMail({
    from: MAIL_ONLY.address,
    to: HUB_ADDRESS,
    subject: 'Re: Suivi de M. Fournier',
    text: 'Merci, bien reçu. Je le revois mardi.',
    inReplyTo: `<${original.id}@${DOMAIN}>`,
    references: [`<${original.id}@${DOMAIN}>`],
    attachments: [{ filename: 'ordonnance.pdf', content: PDF, contentType: 'application/pdf' }],
  });
  // 250 only once stored: the Communication is there when the client is told the mail is accepted.
  expect(info.response).toMatch(/^250 .*Filed as Communication\//);
  const res = await env.t.api.get(`/fhir/Communication?subject=${PATIENT}&_count=50`).expect(200);
  const replies = (res.body.entry ?? []).map((e: { resource: Communication }) => e.resource).filter((c: Communication) => c.inResponseTo?.[0]?.reference === `Communication/${original.id}`);
  expect(replies).toHaveLength(1);
  reply = replies[0];
  expect(reply.sender?.reference).toBe(MAIL_ONLY.ref);
  expect(reply.subject?.reference).toBe(PATIENT);
  expect(reply.status).toBe('completed');
  expect(reply.medium?.[0].coding?.[0].code).toBe('EMAILWRIT');
  expect(reply.recipient?.map((r) => r.reference)).toEqual([LOGIN_PRACTITIONER, TEAM]);
  expect(reply.payload?.[0].contentString).toContain('Merci, bien reçu.');
  const attachment = reply.payload?.[1].contentAttachment;
  expect(attachment?.title).toBe('ordonnance.pdf');
  // Inline data, or moved to a Binary by the messaging write rule when it is installed.
  const bytes = attachment?.data
    ? Buffer.from(attachment.data, 'base64')
    : Buffer.from((await env.t.api.get(`/fhir/${attachment?.url}`).expect(200)).body.data, 'base64');
  expect(Buffer.compare(bytes, PDF)).toBe(0);
  // Same thread: the messaging write rule stamps the root on both (the root names itself).
  const stored = (await env.t.api.get(`/fhir/Communication/${original.id}`).expect(200)).body as Communication;
  expect(threadOf(stored)).toBe(`Communication/${original.id}`);
  expect(threadOf(reply)).toBe(`Communication/${original.id}`);
  // The hub moved the posted PDF to a Binary: the mail of the first test was built from Binary bytes.
  expect(stored.payload?.[1].contentAttachment?.url).toMatch(/^Binary\//);
  // The replier is not mailed his own reply; the other recipient logs in to the hub.
  await sleep(400);
  expect(env.relay.mails).toHaveLength(1);
});

test('an answer to the mailed reply goes out with In-Reply-To and References of the thread', async () => {
  const answer = await post(message('Très bien, merci.', { recipient: [{ reference: MAIL_ONLY.ref }], inResponseTo: [{ reference: `Communication/${reply.id}` }] }));
  const [mail] = await until('the answer', async () => mailsWithId(answer.id!).length > 0 && mailsWithId(answer.id!));
  const received = await env.t.ctx.db.query<{ message_id: string }>(`SELECT message_id FROM mail_message WHERE communication_id = $1 AND direction = 'in'`, [reply.id]);
  expect(mail.parsed.inReplyTo).toBe(`<${received.rows[0].message_id}>`);
  expect(mail.parsed.references).toEqual([`<${original.id}@${DOMAIN}>`, `<${received.rows[0].message_id}>`]);
});

test('relay down then up: the mail is delivered once, after retries', async () => {
  const port = env.relay.port;
  await env.relay.stop();
  const c = await post(message('Message pendant la panne du relais.', { recipient: [{ reference: MAIL_ONLY.ref }] }));
  const failing = await until('two failed attempts', async () => {
    const r = await env.t.ctx.db.query<{ attempts: number; status: string; last_error: string }>(`SELECT attempts, status, last_error FROM mail_outbound WHERE communication_id = $1`, [c.id]);
    return r.rows[0] && Number(r.rows[0].attempts) >= 2 && r.rows[0];
  });
  expect(failing.status).toBe('pending');
  expect(failing.last_error).toBeTruthy();
  await env.relay.start(port);
  await until('the delivery', async () => mailsWithId(c.id!).length > 0);
  await sleep(800);
  expect(mailsWithId(c.id!)).toHaveLength(1);
  const r = await env.t.ctx.db.query<{ status: string }>(`SELECT status FROM mail_outbound WHERE communication_id = $1`, [c.id]);
  expect(r.rows[0].status).toBe('sent');
});

test('a restart sends nothing again, and keeps mailing new messages', async () => {
  const before = env.relay.mails.length;
  await env.bridge.stop();
  // Posted while the bridge is down: queued from the outbox when it comes back.
  const c = await post(message('Après redémarrage.', { recipient: [{ reference: MAIL_ONLY.ref }] }));
  await env.restart();
  await until('the new mail', async () => mailsWithId(c.id!).length > 0);
  await sleep(500);
  expect(env.relay.mails).toHaveLength(before + 1);
});

test('a permanent refusal (5xx) is recorded and not retried', async () => {
  await putJson(env.t, '/fhir/Practitioner/pr-refused', { resourceType: 'Practitioner', id: 'pr-refused', telecom: [{ system: 'email', value: 'refused@cabinet.example' }] }).expect(201);
  const c = await post(message('Adresse refusée.', { recipient: [{ reference: 'Practitioner/pr-refused' }] }));
  const row = await until('the refusal', async () => {
    const r = await env.t.ctx.db.query<{ attempts: number; status: string; last_error: string }>(`SELECT attempts, status, last_error FROM mail_outbound WHERE communication_id = $1`, [c.id]);
    return r.rows[0]?.status === 'failed' && r.rows[0];
  });
  expect(Number(row.attempts)).toBe(1);
  expect(row.last_error).toMatch(/^550 /);
  await sleep(600);
  const again = await env.t.ctx.db.query<{ attempts: number }>(`SELECT attempts FROM mail_outbound WHERE communication_id = $1`, [c.id]);
  expect(Number(again.rows[0].attempts)).toBe(1);
});

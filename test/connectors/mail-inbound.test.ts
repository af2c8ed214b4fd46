// Issue 8, inbound mail: a new thread for the patient whose INS an attached CDA carries; anything that matches
// nothing goes to the review queue with the mail kept byte for byte; foreign domains are refused; a database
// failure answers 451 (the sender retries) and a retried mail is filed once.
import fs from 'node:fs';
import path from 'node:path';
import type { Communication, Task } from '@medplum/fhirtypes';
import { DOMAIN, HUB_ADDRESS, MAIL_ONLY, mailClient, PATIENT, startMailEnv, TEAM, type MailEnv } from './mail-support';

const CDA = fs.readFileSync(path.resolve(__dirname, '../../fixtures/letters/lettre-de-liaison-cda.xml'));

let env: MailEnv;
beforeAll(async () => {
  env = await startMailEnv();
});
afterAll(() => env?.close());

const send = (mail: Parameters<ReturnType<typeof mailClient>['sendMail']>[0]) => mailClient(env.bridge.inboundPort!).sendMail({ to: HUB_ADDRESS, ...mail });
const filedAs = (response: string) => /Filed as ([A-Za-z]+\/[^\s]+)/.exec(response)?.[1];

async function read<T>(ref: string): Promise<T> {
  return (await env.t.api.get(`/fhir/${ref}`).expect(200)).body as T;
}

test('a mail with a CDA whose INS is a known patient starts a thread to the patient’s care team', async () => {
  const info = await send({ from: MAIL_ONLY.address, subject: 'Lettre de liaison de M. Fournier', text: 'Ci-joint la lettre.', attachments: [{ filename: 'lettre.xml', content: CDA, contentType: 'text/xml' }] });
  const ref = filedAs(info.response)!;
  expect(ref).toMatch(/^Communication\//);
  const c = await read<Communication>(ref);
  expect(c.subject?.reference).toBe(PATIENT);
  expect(c.recipient?.map((r) => r.reference)).toEqual([TEAM]);
  expect(c.sender?.reference).toBe(MAIL_ONLY.ref);
  expect(c.inResponseTo).toBeUndefined();
  expect(c.topic?.text).toBe('Lettre de liaison de M. Fournier');
  expect(c.payload?.[0].contentString).toContain('Ci-joint la lettre.');
  expect(c.payload?.[1].contentAttachment?.title).toBe('lettre.xml');
});

test('a mail that matches nothing goes to the review queue, the raw mail kept byte for byte', async () => {
  const raw = Buffer.from(
    [`From: Inconnu <inconnu@ailleurs.example>`, `To: ${HUB_ADDRESS}`, 'Subject: Question sans contexte', 'Message-ID: <unmatched-1@ailleurs.example>', 'Date: Wed, 25 Nov 2026 10:00:00 +0000', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Bonjour, qui suis-je ?', '.commence par un point', ''].join('\r\n'),
  );
  const info = await mailClient(env.bridge.inboundPort!).sendMail({ envelope: { from: 'inconnu@ailleurs.example', to: [HUB_ADDRESS] }, raw });
  const ref = filedAs(info.response)!;
  expect(ref).toMatch(/^Task\//);
  const task = await read<Task>(ref);
  expect(task.status).toBe('requested');
  expect(task.intent).toBe('order');
  expect(task.code?.coding?.[0]).toMatchObject({ system: 'https://fhir-hub.fr/ig/CodeSystem/fhir-hub-task-type', code: 'revue-courriel-entrant' });
  expect(task.owner?.reference).toBe('Organization/hub-identitovigilance');
  expect(task.description).toContain('inconnu@ailleurs.example');
  expect(task.description).toContain('Question sans contexte');
  const binaryRef = task.input?.[0].valueReference?.reference;
  expect(binaryRef).toMatch(/^Binary\//);
  const binary = await read<{ contentType: string; data: string }>(binaryRef!);
  expect(binary.contentType).toBe('message/rfc822');
  expect(Buffer.compare(Buffer.from(binary.data, 'base64'), raw)).toBe(0);
});

test('a reply from someone outside the thread, and an unparseable mail, go to review too', async () => {
  const original = await env.t.api.get(`/fhir/Communication?subject=${PATIENT}&_count=1`).expect(200);
  const id = original.body.entry[0].resource.id;
  const stranger = await send({ from: 'intrus@ailleurs.example', subject: 'Re:', text: 'Je réponds.', inReplyTo: `<${id}@${DOMAIN}>` });
  expect(filedAs(stranger.response)).toMatch(/^Task\//);
  expect((await read<Task>(filedAs(stranger.response)!)).description).toMatch(/not known by this address/);
  const garbage = await mailClient(env.bridge.inboundPort!).sendMail({ envelope: { from: 'x@y.example', to: [HUB_ADDRESS] }, raw: Buffer.from('\u0000\u0001 pas un courriel\r\n') });
  expect(filedAs(garbage.response)).toMatch(/^Task\//);
});

test('RCPT for another domain is refused with 550', async () => {
  await expect(send({ from: MAIL_ONLY.address, to: 'quelqu.un@autre-domaine.example', subject: 'x', text: 'x' })).rejects.toMatchObject({ responseCode: 550 });
});

test('a database failure answers 451, and the retried mail is filed once', async () => {
  const db = env.t.ctx.db;
  const transaction = db.transaction;
  const mail = { from: 'inconnu@ailleurs.example', subject: 'Pendant la panne', text: 'x', messageId: '<retry-1@ailleurs.example>' };
  db.transaction = () => Promise.reject(new Error('database down'));
  try {
    await expect(send(mail)).rejects.toMatchObject({ responseCode: 451 });
  } finally {
    db.transaction = transaction;
  }
  const first = await send(mail);
  expect(filedAs(first.response)).toMatch(/^Task\//);
  // The sending MTA may retry a mail whose 250 it never saw: it is recognised by its Message-ID.
  const second = await send(mail);
  expect(second.response).toMatch(/^250 .*Already received retry-1@ailleurs.example/);
  const tasks = await env.t.api.get('/fhir/Task?identifier=https://fhir-hub.fr/ig/NamingSystem/mail-message-id|retry-1@ailleurs.example').expect(200);
  expect(tasks.body.entry).toHaveLength(1);
});

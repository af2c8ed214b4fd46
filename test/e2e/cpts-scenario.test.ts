// The CPTS scenario of issue 8, end to end on a real hub process (`fhir-hub serve`, AUTH=on, mail bridge on):
// a GP applies the BPCO pathway for a patient whose care team spans an MSP, an independent nurse, a pharmacy and a
// physiotherapist known only by email; the nurse works from her worklist and inbox and answers with an attachment;
// the pharmacist follows the thread; an outsider sees nothing; the physiotherapist gets the message by mail and his
// mail reply lands in the same thread.
import type { Bundle, Communication, Resource, Task } from '@medplum/fhirtypes';
import nodemailer from 'nodemailer';
import { signToken, TestIssuer, type TestKey } from '../support/security';
import { SmtpReceiver } from '../support/smtp-receiver';
import { freePort, killAll, startHub, tempDir, type HubProcess } from './support/hub-process';
import { Receiver, waitFor } from './support/receiver';

jest.setTimeout(180_000);

const G15 = 'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante';
const RPPS = 'https://rpps.esante.gouv.fr';
const DOMAIN = 'cpts-test.mssante.fr';
const KINE_MAIL = 'kine.martin@cabinet-kine.example';
const PROS = { gp: '810000000101', nurse: '810000000102', pharmacist: '810000000103', outsider: '810000000104' };
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

const data = tempDir('hub-cpts-');
const relay = new SmtpReceiver();
let tool: Receiver; // the CPTS coordination tool's rest-hook endpoint
let issuer: TestIssuer;
let key: TestKey;
let hub: HubProcess;
let inboundPort: number;

const pro = (id: string, nationalId: string, family: string): Resource => ({ resourceType: 'Practitioner', id, identifier: [{ system: RPPS, value: nationalId.slice(1) }], name: [{ family }] }) as Resource;
const org = (id: string, name: string): Resource => ({ resourceType: 'Organization', id, name }) as Resource;
const role = (id: string, who: string, code: string, organization: string): Resource =>
  ({ resourceType: 'PractitionerRole', id, practitioner: { reference: `Practitioner/${who}` }, organization: { reference: `Organization/${organization}` }, code: [{ coding: [{ system: G15, code }] }] }) as Resource;

async function token(professional?: string): Promise<string> {
  const audience = `${hub.origin}/fhir`;
  return professional
    ? signToken({ key, issuer: issuer.issuer, audience, professional, scope: 'user/*.cruds' })
    : signToken({ key, issuer: issuer.issuer, audience, scope: 'system/*.cruds' });
}

async function call<T = Record<string, unknown>>(who: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { authorization: `Bearer ${await token(who)}`, accept: 'application/fhir+json' };
  if (body !== undefined) headers['content-type'] = 'application/fhir+json';
  const res = await fetch(`${hub.origin}/fhir/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
}

const resources = <T>(bundle: Bundle): T[] => (bundle.entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource as T);

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  await relay.start();
  inboundPort = await freePort();
  tool = new Receiver(await freePort());
  await tool.up();
  hub = await startHub({
    SUBSCRIPTION_ENDPOINT_ALLOW: `http://127.0.0.1:${tool.port}/`,
    SUBSCRIPTION_POLL_MS: '100',
    DATA_DIR: data.dir,
    DEMO: '0',
    AUTH: 'on',
    AUDIT: 'on',
    OIDC_ISSUERS: issuer.setting(),
    HUB_SIGNING_KEY_FILE: `${data.dir}/hub-key.json`,
    PACKAGE_RESOURCES: 'on',
    MAIL_SMTP_URL: `smtp://127.0.0.1:${relay.port}`,
    MAIL_FROM: `coordination@${DOMAIN}`,
    MAIL_DOMAIN: DOMAIN,
    MAIL_INBOUND_PORT: String(inboundPort),
    MAIL_POLL_MS: '100',
  });
  // The territory, written by the CPTS's own system client.
  const seed: Resource[] = [
    pro('gp', PROS.gp, 'Bernard'),
    pro('nurse', PROS.nurse, 'Petit'),
    pro('pharmacist', PROS.pharmacist, 'Roux'),
    pro('outsider', PROS.outsider, 'Leroy'),
    // Known only by a mail address: no RPPS, so no login to the hub.
    { resourceType: 'Practitioner', id: 'kine', name: [{ family: 'Martin' }], telecom: [{ system: 'email', value: KINE_MAIL }] } as Resource,
    org('msp', 'MSP du Val'),
    org('idel', 'Cabinet infirmier Petit'),
    org('pharmacie', 'Pharmacie du Marché'),
    org('elsewhere', 'Centre de santé Leroy'),
    role('gp-role', 'gp', '10', 'msp'),
    role('nurse-role', 'nurse', '60', 'idel'),
    role('pharm-role', 'pharmacist', '21', 'pharmacie'),
    role('outsider-role', 'outsider', '10', 'elsewhere'),
    { resourceType: 'Patient', id: 'p1', name: [{ family: 'Lambert', given: ['Odette'] }], gender: 'female', birthDate: '1941-03-02', generalPractitioner: [{ reference: 'Practitioner/gp' }] } as Resource,
    {
      resourceType: 'CareTeam',
      id: 'ct-p1',
      meta: { profile: ['https://fhir-hub.fr/ig/StructureDefinition/fhir-hub-careteam'] },
      status: 'active',
      name: 'Cercle de soins de Mme Lambert',
      subject: { reference: 'Patient/p1' },
      participant: [
        { role: [{ coding: [{ system: G15, code: '10' }] }], member: { reference: 'PractitionerRole/gp-role' }, onBehalfOf: { reference: 'Organization/msp' } },
        { role: [{ coding: [{ system: G15, code: '60' }] }], member: { reference: 'PractitionerRole/nurse-role' }, onBehalfOf: { reference: 'Organization/idel' } },
        { role: [{ coding: [{ system: G15, code: '21' }] }], member: { reference: 'PractitionerRole/pharm-role' }, onBehalfOf: { reference: 'Organization/pharmacie' } },
        { role: [{ coding: [{ system: G15, code: '70' }] }], member: { reference: 'Practitioner/kine' } },
      ],
    } as Resource,
  ];
  const put = await call<Bundle>(undefined, 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: seed.map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } })) });
  expect(put.status).toBe(200);
  // The CPTS tool follows the patient's plan, the nurse's tasks and the team's messages.
  for (const criteria of ['CarePlan?subject=Patient/p1', 'Task?owner=PractitionerRole/nurse-role', 'Communication?recipient=CareTeam/ct-p1']) {
    const sub = await call<Resource>(undefined, 'POST', 'Subscription', { resourceType: 'Subscription', status: 'requested', reason: 'CPTS coordination', criteria, channel: { type: 'rest-hook', endpoint: `http://127.0.0.1:${tool.port}/hook`, payload: 'application/fhir+json' } });
    expect(sub.status).toBe(201);
    await waitFor(`${criteria} active`, async () => (await call<{ status: string }>(undefined, 'GET', `Subscription/${sub.body.id}`)).body.status === 'active');
  }
});

afterAll(async () => {
  await killAll();
  await tool.down();
  await relay.stop();
  await issuer.stop();
  data.remove();
});

let carePlanId: string;
let firstMessage: Communication;
let nurseReply: Communication;

test('the GP applies the BPCO pathway: a CarePlan and its Tasks for the team', async () => {
  // The template as the hub's package ships it, named by its canonical URL.
  const res = await call<Resource>(PROS.gp, 'POST', 'PlanDefinition/$apply', {
    resourceType: 'Parameters',
    parameter: [
      { name: 'url', valueCanonical: 'https://fhir-hub.fr/ig/PlanDefinition/fhir-hub-parcours-bpco' },
      { name: 'subject', valueString: 'Patient/p1' },
      { name: 'practitioner', valueString: 'PractitionerRole/gp-role' },
    ],
  });
  expect(res.status).toBe(201);
  expect(res.body.resourceType).toBe('CarePlan');
  carePlanId = res.body.id!;
});

test('the nurse finds her task in her worklist, in period order', async () => {
  const res = await call<Bundle>(PROS.nurse, 'GET', 'Task?owner=PractitionerRole/nurse-role&status=requested,accepted,in-progress&_sort=period');
  expect(res.status).toBe(200);
  const tasks = resources<Task>(res.body);
  expect(tasks.length).toBeGreaterThan(0);
  expect(tasks.every((t) => t.basedOn?.some((b) => b.reference === `CarePlan/${carePlanId}`) && t.owner?.reference === 'PractitionerRole/nurse-role')).toBe(true);
  const starts = tasks.map((t) => t.executionPeriod?.start ?? '');
  expect(starts).toEqual([...starts].sort());
});

test('the GP writes to the care team; the nurse finds it unread in her inbox and marks it read', async () => {
  const sent = await call<Communication>(PROS.gp, 'POST', 'Communication', {
    resourceType: 'Communication',
    status: 'completed',
    subject: { reference: 'Patient/p1' },
    topic: { text: 'Suivi BPCO de Mme Lambert' },
    sent: new Date().toISOString(),
    sender: { reference: 'PractitionerRole/gp-role' },
    recipient: [{ reference: 'CareTeam/ct-p1' }],
    payload: [{ contentString: 'Bonjour, pouvez-vous vérifier la saturation à domicile cette semaine ?' }],
  });
  expect(sent.status).toBe(201);
  firstMessage = sent.body;
  const inbox = await call<Bundle>(PROS.nurse, 'GET', 'Communication/$inbox');
  expect(inbox.status).toBe(200);
  const first = inbox.body.entry?.[0];
  expect(first?.resource?.id).toBe(firstMessage.id);
  expect(first?.extension ?? []).toEqual([]); // unread
  expect((await call(PROS.nurse, 'POST', `Communication/${firstMessage.id}/$mark-read`, { resourceType: 'Parameters' })).status).toBe(200);
  const after = await call<Bundle>(PROS.nurse, 'GET', 'Communication/$inbox?unread=true');
  expect(resources<Communication>(after.body).map((c) => c.id)).not.toContain(firstMessage.id);
});

test('the nurse replies in the thread with a PDF; the pharmacist sees the whole thread and the attachment', async () => {
  const reply = await call<Communication>(PROS.nurse, 'POST', 'Communication', {
    resourceType: 'Communication',
    status: 'completed',
    subject: { reference: 'Patient/p1' },
    inResponseTo: [{ reference: `Communication/${firstMessage.id}` }],
    sent: new Date().toISOString(),
    sender: { reference: 'PractitionerRole/nurse-role' },
    recipient: [{ reference: 'CareTeam/ct-p1' }],
    payload: [{ contentString: 'SpO2 à 91 % ce matin, relevés joints.' }, { contentAttachment: { contentType: 'application/pdf', title: 'releves-spo2.pdf', data: PDF.toString('base64') } }],
  });
  expect(reply.status).toBe(201);
  nurseReply = reply.body;
  const thread = await call<Bundle>(PROS.pharmacist, 'GET', `Communication?thread=Communication/${firstMessage.id}&_sort=sent`);
  expect(thread.status).toBe(200);
  expect(resources<Communication>(thread.body).map((c) => c.id)).toEqual([firstMessage.id, nurseReply.id]);
  const url = nurseReply.payload?.[1].contentAttachment?.url;
  expect(url).toMatch(/^Binary\/[^/]+$/);
  const binary = await fetch(`${hub.origin}/fhir/${url}`, { headers: { authorization: `Bearer ${await token(PROS.pharmacist)}`, accept: 'application/pdf' } });
  expect(binary.status).toBe(200);
  expect(Buffer.from(await binary.arrayBuffer()).equals(PDF)).toBe(true);
  const inbox = await call<Bundle>(PROS.pharmacist, 'GET', 'Communication/$inbox');
  expect(resources<Communication>(inbox.body).map((c) => c.id)).toEqual(expect.arrayContaining([firstMessage.id, nurseReply.id]));
});

test('a professional outside the team sees nothing of the patient, the plan, the tasks or the thread', async () => {
  const searches = ['Communication?subject=Patient/p1', `Communication?thread=Communication/${firstMessage.id}`, 'Task?patient=Patient/p1', 'CarePlan?subject=Patient/p1', 'CareTeam?subject=Patient/p1'];
  for (const search of searches) {
    const res = await call<Bundle>(PROS.outsider, 'GET', search);
    expect({ search, status: res.status, total: res.body.total }).toEqual({ search, status: 200, total: 0 });
  }
  expect((await call(PROS.outsider, 'GET', `Communication/${firstMessage.id}`)).status).toBe(403);
  expect((await call(PROS.outsider, 'GET', `CarePlan/${carePlanId}`)).status).toBe(403);
  const inbox = await call<Bundle>(PROS.outsider, 'GET', 'Communication/$inbox');
  expect(inbox.status).toBe(200);
  expect(inbox.body.entry ?? []).toEqual([]);
  const binary = await fetch(`${hub.origin}/fhir/${nurseReply.payload?.[1].contentAttachment?.url}`, { headers: { authorization: `Bearer ${await token(PROS.outsider)}` } });
  expect([403, 404]).toContain(binary.status);
});

test('the physiotherapist known only by email gets the messages by mail, and his mail reply lands in the thread', async () => {
  const mail = await waitFor('the mail of the first message', () => relay.mails.find((m) => m.to.includes(KINE_MAIL) && m.parsed.messageId === `<${firstMessage.id}@${DOMAIN}>`), 30_000);
  expect(mail.parsed.text).toContain('vérifier la saturation');
  expect(mail.parsed.subject).toContain('Suivi BPCO');
  // The nurse's reply reaches him too (sent to the team), with its PDF.
  const replyMail = await waitFor('the mail of the reply', () => relay.mails.find((m) => m.to.includes(KINE_MAIL) && m.parsed.messageId === `<${nurseReply.id}@${DOMAIN}>`), 30_000);
  expect(replyMail.parsed.attachments.map((a) => a.content.equals(PDF))).toEqual([true]);
  // No one who can log in to the hub is mailed.
  expect(relay.mails.every((m) => m.to.every((a) => a === KINE_MAIL))).toBe(true);

  const client = nodemailer.createTransport({ host: '127.0.0.1', port: inboundPort, secure: false, ignoreTLS: true });
  await client.sendMail({
    from: KINE_MAIL,
    to: mail.parsed.replyTo?.value[0].address ?? `coordination@${DOMAIN}`,
    subject: `Re: ${mail.parsed.subject}`,
    inReplyTo: mail.parsed.messageId,
    references: [mail.parsed.messageId!],
    text: 'Je passe jeudi pour la kinésithérapie respiratoire.',
  });
  const thread = await waitFor('the mail reply in the thread', async () => {
    const res = await call<Bundle>(PROS.gp, 'GET', `Communication?thread=Communication/${firstMessage.id}&_sort=sent`);
    const found = resources<Communication>(res.body);
    return found.length === 3 ? found : undefined;
  }, 30_000);
  // Its `sent` is the mail's Date header, whole seconds: it may sort before messages of the same second.
  const fromMail = thread.find((c) => c.sender?.reference === 'Practitioner/kine')!;
  expect(fromMail).toBeDefined();
  expect(fromMail.inResponseTo?.[0].reference).toBe(`Communication/${firstMessage.id}`);
  expect(fromMail.payload?.[0].contentString).toContain('kinésithérapie respiratoire');
  // It reaches the GP's inbox, unread.
  const inbox = await call<Bundle>(PROS.gp, 'GET', 'Communication/$inbox?unread=true');
  expect(resources<Communication>(inbox.body).map((c) => c.id)).toContain(fromMail.id);
});

test("the CPTS tool was notified of the care plan, the nurse's tasks and the team's messages", async () => {
  const notified = (type: string, id: string) => tool.received.some((r) => r.method === 'PUT' && r.url === `/hook/${type}/${id}`);
  await waitFor('the notifications', () => notified('CarePlan', carePlanId) && notified('Communication', firstMessage.id!) && notified('Communication', nurseReply.id!), 30_000);
  const tasks = await call<Bundle>(PROS.nurse, 'GET', `Task?owner=PractitionerRole/nurse-role&based-on=CarePlan/${carePlanId}`);
  const ids = resources<Task>(tasks.body).map((t) => t.id!);
  expect(ids.length).toBeGreaterThan(0);
  await waitFor("the nurse's tasks", () => ids.every((id) => notified('Task', id)), 30_000);
});

// Turning the mail bridge on for a hub that already holds messages: it starts at the end of the outbox, so only
// messages written from then on are mailed (docs/mail-bridge.md, "Outbound").
import type { Communication } from '@medplum/fhirtypes';
import { postJson } from '../support/fhir-api';
import type { TestHub } from '../support/test-hub';
import { DOMAIN, LOGIN_PRACTITIONER, MAIL_ONLY, PATIENT, sleep, startMailEnv, TEAM, until, type MailEnv } from './mail-support';

const message = (text: string): Communication => ({
  resourceType: 'Communication',
  status: 'completed',
  subject: { reference: PATIENT },
  sender: { reference: LOGIN_PRACTITIONER },
  recipient: [{ reference: TEAM }],
  sent: new Date().toISOString(),
  payload: [{ contentString: text }],
});

async function post(t: TestHub, text: string): Promise<string> {
  const res = await postJson(t, '/fhir/Communication', message(text));
  expect(res.status).toBe(201);
  return res.body.id as string;
}

let env: MailEnv;
let before: string;
beforeAll(async () => {
  env = await startMailEnv(async (t) => {
    before = await post(t, 'written before the bridge was turned on');
  });
});
afterAll(() => env?.close());

test('messages written before the bridge first ran are not mailed; the next one is', async () => {
  const after = await post(env.t, 'written once the bridge runs');
  await until('the new message mailed', async () => env.relay.mails.some((m) => m.parsed.messageId === `<${after}@${DOMAIN}>`));
  await sleep(300);
  expect(env.relay.mails.map((m) => m.parsed.messageId)).toEqual([`<${after}@${DOMAIN}>`]);
  expect(env.relay.mails[0].to).toEqual([MAIL_ONLY.address]);
  const queued = await env.t.ctx.db.query('SELECT 1 FROM mail_outbound WHERE communication_id = $1', [before]);
  expect(queued.rows).toEqual([]);
});

// Mail bridge test kit: a real SMTP receiver on loopback (the "relay"), a hub with the bridge on ephemeral ports,
// a care team with a member known only by email, and nodemailer to write to the hub like a mail client would.
import nodemailer from 'nodemailer';
import { startMailBridge, mailSettings, type MailBridge, type MailSettings } from '../../src/connectors/mail';
import { putJson } from '../support/fhir-api';
import { SmtpReceiver } from '../support/smtp-receiver';
import { startTestHub, type TestHub } from '../support/test-hub';

export { SmtpReceiver };

export const DOMAIN = 'hub.test';
export const HUB_ADDRESS = `hub@${DOMAIN}`;
export const MAIL_ONLY = { ref: 'Practitioner/pr-mail-only', address: 'dr.durand@cabinet.example' };
export const LOGIN_PRACTITIONER = 'Practitioner/pr-login';
export const PATIENT = 'Patient/pt-fournier';
export const TEAM = 'CareTeam/ct-fournier';
/** The INS of the demo patient of fixtures/letters/lettre-de-liaison-cda.xml. */
export const CDA_INS = '143014520899282';

export interface MailEnv {
  t: TestHub;
  relay: SmtpReceiver;
  settings: MailSettings;
  bridge: MailBridge;
  /** Restarts the bridge (a hub restart as far as mail goes: same database, new worker and listener). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** `beforeBridge`: work done on the seeded hub before the bridge first starts (messages it must not mail). */
export async function startMailEnv(beforeBridge?: (t: TestHub) => Promise<void>): Promise<MailEnv> {
  const relay = await new SmtpReceiver().start();
  const t = await startTestHub();
  const settings = mailSettings({
    MAIL_SMTP_URL: `smtp://127.0.0.1:${relay.port}`,
    MAIL_FROM: HUB_ADDRESS,
    MAIL_DOMAIN: DOMAIN,
    MAIL_INBOUND_PORT: '0',
    MAIL_POLL_MS: '50',
    MAIL_RETRY_INITIAL_MS: '200',
    MAIL_RETRY_MAX_MS: '400',
    MAIL_MAX_BYTES: String(2 * 1024 * 1024),
  });
  await seed(t);
  await beforeBridge?.(t);
  const env: MailEnv = {
    t,
    relay,
    settings,
    bridge: (await startMailBridge(t.ctx, settings))!,
    async restart() {
      await env.bridge.stop();
      env.bridge = (await startMailBridge(t.ctx, settings))!;
    },
    async close() {
      await env.bridge.stop();
      await relay.stop();
      await t.close();
    },
  };
  return env;
}

async function put(t: TestHub, resource: { resourceType: string; id: string; [k: string]: unknown }): Promise<void> {
  const res = await putJson(t, `/fhir/${resource.resourceType}/${resource.id}`, resource);
  if (res.status >= 300) throw new Error(`PUT ${resource.resourceType}/${resource.id} gave ${res.status}: ${res.text}`);
}

async function seed(t: TestHub): Promise<void> {
  await put(t, { resourceType: 'Organization', id: 'hub-identitovigilance', identifier: [{ system: 'https://fhir-hub.fr/ig/NamingSystem/hub-queue', value: 'identitovigilance' }], name: "Cellule d'identitovigilance du hub" });
  await put(t, { resourceType: 'Patient', id: 'pt-fournier', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: CDA_INS }], name: [{ family: 'Fournier', given: ['Gérard'] }], gender: 'male', birthDate: '1943-01-04' });
  await put(t, {
    resourceType: 'Practitioner',
    id: 'pr-login',
    identifier: [{ system: 'https://rpps.esante.gouv.fr', value: '19999900012' }],
    name: [{ family: 'Moreau', given: ['Claire'] }],
    telecom: [{ system: 'email', value: 'claire.moreau@msp.example' }],
  });
  await put(t, { resourceType: 'Practitioner', id: 'pr-mail-only', name: [{ family: 'Durand', given: ['Paul'] }], telecom: [{ system: 'email', value: MAIL_ONLY.address }] });
  await put(t, {
    resourceType: 'CareTeam',
    id: 'ct-fournier',
    status: 'active',
    subject: { reference: PATIENT },
    participant: [{ member: { reference: LOGIN_PRACTITIONER } }, { member: { reference: MAIL_ONLY.ref } }],
  });
}

/** A mail client writing to the hub's inbound port. */
export function mailClient(port: number) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

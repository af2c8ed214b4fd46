// Inbound, filing (docs/mail-bridge.md): the raw mail as a Binary and what it becomes (a Communication or a review
// Task) in one FHIR transaction through dispatch, so validation, audit and the outbox apply and neither exists alone.
import { createHash, randomUUID } from 'node:crypto';
import type { Binary, Bundle, Communication, CommunicationPayload, Organization, Reference, Task } from '@medplum/fhirtypes';
import { simpleParser, type ParsedMail } from 'mailparser';
import { FhirError } from '../../fhir/errors';
import type { HubContext } from '../../fhir/hub-context';
import { newRequest } from '../../fhir/request';
import { dispatch } from '../../fhir/router';
import { logger } from '../../logger';
import { IDENTITY_VIGILANCE } from '../../workflows/liaison/vocabulary';
import { searchIn } from './addresses';
import { decide, type Decision } from './inbound-match';
import type { MailSettings } from './settings';
import { bareId, MEDIUM_EMAIL, MESSAGE_ID_SYSTEM, REVIEW_TASK_CODE } from './vocabulary';

export interface Filed {
  messageId: string;
  /** `Communication/x` or `Task/x` (review queue); undefined when the mail had already been filed. */
  filedAs?: string;
  duplicate: boolean;
}

/** Files one received mail; throws only when the database fails (the listener then answers 451 and the MTA retries). */
export async function fileInbound(ctx: HubContext, settings: MailSettings, raw: Buffer): Promise<Filed> {
  let mail: ParsedMail | undefined;
  try {
    mail = await simpleParser(raw);
  } catch (err) {
    logger.warn({ err }, 'mail bridge: unreadable mail; it goes to the review queue');
  }
  // Without a Message-ID, the content names the mail, so a retried delivery is still recognised.
  const messageId = mail?.messageId ? bareId(mail.messageId) : `sha256-${createHash('sha256').update(raw).digest('hex')}@no-message-id`;
  if (await alreadyFiled(ctx, messageId)) return { messageId, duplicate: true };
  const decision: Decision = mail ? await decide(ctx, settings, mail) : { kind: 'review', reason: 'the mail cannot be parsed' };
  let filedAs: { binary: string; resource: string };
  try {
    filedAs = await write(ctx, raw, buildResource(ctx, mail, messageId, decision, await reviewOwner(ctx, decision)), decision);
  } catch (err) {
    if (!(err instanceof FhirError) || err.status >= 500 || decision.kind === 'review') throw err;
    // The hub refused the Communication (validation): the mail is kept, for a person to look at.
    logger.warn({ err, messageId }, 'mail bridge: the Communication made from a mail was refused; it goes to the review queue');
    const review: Decision = { kind: 'review', reason: `the message could not be filed: ${err.message}` };
    filedAs = await write(ctx, raw, buildResource(ctx, mail, messageId, review, await reviewOwner(ctx, review)), review);
  }
  const [type, id] = filedAs.resource.split('/');
  await ctx.db.query(
    `INSERT INTO mail_message (message_id, direction, communication_id, task_id, raw_binary_id) VALUES ($1, 'in', $2, $3, $4) ON CONFLICT (message_id) DO NOTHING`,
    [messageId, type === 'Communication' ? id : null, type === 'Task' ? id : null, filedAs.binary],
  );
  logger.info({ messageId, filedAs: filedAs.resource, decision: decision.kind }, 'mail bridge: mail received and filed');
  return { messageId, filedAs: filedAs.resource, duplicate: false };
}

/** By the map, or by the identifier the filed resource carries (the map row is written just after the commit). */
async function alreadyFiled(ctx: HubContext, messageId: string): Promise<boolean> {
  const r = await ctx.db.query(`SELECT 1 FROM mail_message WHERE message_id = $1 AND direction = 'in'`, [messageId]);
  if (r.rows.length > 0) return true;
  for (const type of ['Communication', 'Task']) {
    if ((await searchIn(ctx, undefined, type, [['identifier', `${MESSAGE_ID_SYSTEM}|${messageId}`]])).length > 0) return true;
  }
  return false;
}

async function reviewOwner(ctx: HubContext, decision: Decision): Promise<Reference | undefined> {
  if (decision.kind !== 'review') return undefined;
  const found = await searchIn<Organization>(ctx, undefined, 'Organization', [['identifier', `${IDENTITY_VIGILANCE.system}|${IDENTITY_VIGILANCE.value}`]]);
  if (found.length === 1) return { reference: `Organization/${found[0].id}`, display: found[0].name };
  return { identifier: { system: IDENTITY_VIGILANCE.system, value: IDENTITY_VIGILANCE.value }, display: IDENTITY_VIGILANCE.display };
}

function payloadOf(mail: ParsedMail): CommunicationPayload[] {
  const text = mail.text?.trim() || (typeof mail.html === 'string' ? mail.html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() : '');
  const out: CommunicationPayload[] = text ? [{ contentString: text }] : [];
  for (const a of mail.attachments ?? []) {
    out.push({ contentAttachment: { contentType: a.contentType || 'application/octet-stream', data: a.content.toString('base64'), title: a.filename ?? 'piece-jointe' } });
  }
  return out.length > 0 ? out : [{ contentString: '(courriel sans contenu)' }];
}

/** The raw mail's fullUrl inside the filing transaction (the Task's input points at it). */
const RAW_URL = `urn:uuid:${randomUUID()}`;

function buildResource(ctx: HubContext, mail: ParsedMail | undefined, messageId: string, decision: Decision, owner: Reference | undefined): Communication | Task {
  const now = ctx.now().toISOString();
  const identifier = [{ system: MESSAGE_ID_SYSTEM, value: messageId }];
  if (decision.kind === 'review' || !mail) {
    const reason = decision.kind === 'review' ? decision.reason : 'unreadable';
    const from = mail?.from?.text ?? 'inconnu';
    return {
      resourceType: 'Task',
      identifier,
      status: 'requested',
      intent: 'order',
      code: { coding: [REVIEW_TASK_CODE] },
      description: `Courriel entrant à rattacher ou rejeter — De : ${from} ; Objet : ${mail?.subject ?? '(sans objet)'} ; Motif : ${reason}`,
      authoredOn: now,
      owner: owner as Task['owner'],
      input: [{ type: { text: 'Courriel reçu (message/rfc822)' }, valueReference: { reference: RAW_URL } }],
    };
  }
  const base: Communication = {
    resourceType: 'Communication',
    identifier,
    status: 'completed',
    sent: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : now,
    received: now,
    medium: [{ coding: [MEDIUM_EMAIL] }],
    payload: payloadOf(mail),
  };
  if (decision.kind === 'reply') {
    const p = decision.parent;
    // Recipients: the thread's other participants as the parent named them (teams stay teams), never the replier.
    const recipient = [p.sender, ...(p.recipient ?? [])].filter((r) => !!r?.reference && r.reference !== decision.sender);
    return { ...base, inResponseTo: [{ reference: `Communication/${p.id}` }], subject: p.subject, topic: p.topic ?? { text: mail.subject }, category: p.category, sender: { reference: decision.sender } as Communication['sender'], recipient: recipient as Communication['recipient'] };
  }
  return { ...base, subject: { reference: decision.patient }, topic: { text: mail.subject || 'Message' }, sender: { reference: decision.sender } as Communication['sender'], recipient: decision.careTeams.map((reference) => ({ reference })) };
}

async function write(ctx: HubContext, raw: Buffer, resource: Communication | Task, decision: Decision): Promise<{ binary: string; resource: string }> {
  const patient = decision.kind === 'reply' ? decision.parent.subject?.reference : decision.kind === 'new' ? decision.patient : undefined;
  const binary: Binary = { resourceType: 'Binary', contentType: 'message/rfc822', data: raw.toString('base64'), ...(patient ? { securityContext: { reference: patient } } : {}) };
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: RAW_URL, resource: binary, request: { method: 'POST', url: 'Binary' } },
      { fullUrl: `urn:uuid:${randomUUID()}`, resource: JSON.parse(JSON.stringify(resource)), request: { method: 'POST', url: resource.resourceType } },
    ],
  };
  const out = await dispatch(ctx, newRequest('POST', [], { body: bundle }));
  const entries = ((out.resource ?? JSON.parse(out.json!)) as Bundle).entry ?? [];
  const ref = (i: number) => (entries[i]?.response?.location ?? '').replace(/\/_history\/.*$/, '').replace(/^.*\/([A-Z][A-Za-z]+\/[^/]+)$/, '$1');
  return { binary: ref(0).split('/')[1], resource: ref(1) };
}

// Inbound, what a received mail is (docs/mail-bridge.md "Inbound matching"): a reply in a known thread (by its
// In-Reply-To / References), a new thread for the patient whose INS an attached document carries, or neither.
import type { Bundle, CareTeam, Communication, Identifier, Patient } from '@medplum/fhirtypes';
import type { ParsedMail } from 'mailparser';
import { CdaError, parseCdaHeader } from '../cda/cda-header';
import type { HubContext } from '../../fhir/hub-context';
import { logger } from '../../logger';
import { expandRecipients } from '../../workflows/messaging/recipients';
import { INS_SYSTEMS } from '../../workflows/liaison/vocabulary';
import { holdersOf, readResource, searchIn } from './addresses';
import type { MailSettings } from './settings';
import { bareId } from './vocabulary';

export type Decision =
  | { kind: 'reply'; parent: Communication; sender: string }
  | { kind: 'new'; patient: string; careTeams: string[]; sender: string }
  | { kind: 'review'; reason: string };

const idsOf = (v: string | string[] | undefined): string[] =>
  (Array.isArray(v) ? v : (v ?? '').split(/\s+/)).map((s) => s.trim()).filter((s) => s.length > 2).map(bareId);

/** The Communication a mail answers: In-Reply-To first, then References from the newest. */
async function threadParent(ctx: HubContext, settings: MailSettings, mail: ParsedMail): Promise<Communication | undefined> {
  const candidates = [...idsOf(mail.inReplyTo), ...idsOf(mail.references).reverse()];
  for (const id of candidates) {
    const r = await ctx.db.query<{ communication_id: string | null }>(`SELECT communication_id FROM mail_message WHERE message_id = $1`, [id]);
    const byMap = r.rows[0]?.communication_id ?? undefined;
    // A Message-ID of this hub names its Communication even when the map lacks it (a message mailed by another hub version).
    const own = id.toLowerCase().endsWith(`@${settings.domain}`) ? id.slice(0, id.lastIndexOf('@')) : undefined;
    const communicationId = byMap ?? own;
    const found = communicationId ? await readResource<Communication>(ctx.db, `Communication/${communicationId}`) : undefined;
    if (found) return found;
  }
  return undefined;
}

/** The INS of the patient of an attached CDA R2 document or FHIR document Bundle, as a FHIR identifier. */
export function insOfAttachments(mail: ParsedMail): Identifier | undefined {
  for (const a of mail.attachments ?? []) {
    const type = (a.contentType ?? '').toLowerCase();
    const name = (a.filename ?? '').toLowerCase();
    try {
      if (type.includes('xml') || name.endsWith('.xml')) {
        const ins = parseCdaHeader(a.content).patient.ins;
        if (ins?.extension) return { system: `urn:oid:${ins.root}`, value: ins.extension };
      } else if (type.includes('json') || name.endsWith('.json')) {
        const ins = insOfDocumentBundle(JSON.parse(a.content.toString('utf8')) as Bundle);
        if (ins) return ins;
      }
    } catch (err) {
      // An attachment that is not a readable document is simply not a source of identity.
      if (!(err instanceof CdaError || err instanceof SyntaxError)) logger.warn({ err, filename: a.filename }, 'mail bridge: attachment unreadable');
    }
  }
  return undefined;
}

function insOfDocumentBundle(bundle: Bundle): Identifier | undefined {
  if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'document') return undefined;
  const composition = bundle.entry?.[0]?.resource;
  const subject = composition?.resourceType === 'Composition' ? composition.subject?.reference : undefined;
  const patients = (bundle.entry ?? []).filter((e) => e.resource?.resourceType === 'Patient');
  const patient = (patients.find((e) => subject && (e.fullUrl === subject || e.fullUrl?.endsWith(`/${subject}`))) ?? patients[0])?.resource as Patient | undefined;
  return patient?.identifier?.find((i) => INS_SYSTEMS.includes(i.system ?? '') && i.value);
}

export async function decide(ctx: HubContext, settings: MailSettings, mail: ParsedMail): Promise<Decision> {
  const from = mail.from?.value?.[0]?.address;
  const holders = from ? await holdersOf(ctx, from) : [];
  const parent = await threadParent(ctx, settings, mail);
  if (parent) {
    if (holders.length === 0) return { kind: 'review', reason: `reply to Communication/${parent.id} from ${from ?? 'no address'}, who is not known by this address` };
    const participants = new Set([...(await expandRecipients(ctx.db, parent, ctx.now())), ...(parent.recipient ?? []).map((r) => r.reference), parent.sender?.reference]);
    const sender = holders.find((h) => participants.has(h));
    if (!sender) return { kind: 'review', reason: `reply to Communication/${parent.id} from ${from}, who is not a participant of that thread` };
    return { kind: 'reply', parent, sender };
  }
  const ins = insOfAttachments(mail);
  if (!ins) return { kind: 'review', reason: 'the mail answers no known message and carries no document with an INS' };
  const patients = await searchIn<Patient>(ctx, undefined, 'Patient', [['identifier', `${ins.system}|${ins.value}`]]);
  if (patients.length !== 1) return { kind: 'review', reason: `${patients.length === 0 ? 'no patient' : `${patients.length} patients`} with the INS ${ins.value} of the attached document` };
  const patient = `Patient/${patients[0].id}`;
  if (holders.length === 0) return { kind: 'review', reason: `a document for ${patient} from ${from ?? 'no address'}, who is not known by this address` };
  const teams = await searchIn<CareTeam>(ctx, undefined, 'CareTeam', [['subject', patient], ['status', 'active']]);
  if (teams.length === 0) return { kind: 'review', reason: `${patient} has no active care team to deliver the mail to` };
  return { kind: 'new', patient, careTeams: teams.map((t) => `CareTeam/${t.id}`), sender: holders[0] };
}

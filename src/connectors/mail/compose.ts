// Outbound, step 2: a Communication as a mail (RFC 5322): subject, text, attachments, and the thread's Message-IDs
// so mail clients thread it with the earlier messages (RFC 5322 §3.6.4 In-Reply-To / References).
import type { Attachment, Binary, Communication } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import { readResource } from './addresses';
import type { MailSettings } from './settings';
import { messageIdOf } from './vocabulary';

export interface OutgoingMail {
  messageId: string;
  subject: string;
  text: string;
  attachments: { filename: string; content: Buffer; contentType: string }[];
  inReplyTo?: string;
  references: string[];
}

/** How far up a thread the References header goes. */
const MAX_ANCESTORS = 30;

async function attachmentBytes(q: Queryable, a: Attachment): Promise<{ content: Buffer; contentType?: string } | undefined> {
  if (a.data) return { content: Buffer.from(a.data, 'base64'), contentType: a.contentType };
  if (a.url?.startsWith('Binary/')) {
    const binary = await readResource<Binary>(q, a.url);
    if (binary?.data !== undefined) return { content: Buffer.from(binary.data, 'base64'), contentType: a.contentType ?? binary.contentType };
  }
  return undefined;
}

/** The Message-ID a Communication is known by in mail: the received one when it came by mail, else the hub's. */
async function knownMessageId(q: Queryable, communicationId: string, settings: MailSettings): Promise<string> {
  const r = await q.query<{ message_id: string }>(
    `SELECT message_id FROM mail_message WHERE communication_id = $1 ORDER BY (direction = 'in') DESC, created_at LIMIT 1`,
    [communicationId],
  );
  return r.rows[0]?.message_id ?? messageIdOf(communicationId, settings.domain);
}

/** Message-IDs of the earlier messages of the thread, root first, following inResponseTo upwards. */
async function ancestors(q: Queryable, communication: Communication, settings: MailSettings): Promise<string[]> {
  const ids: string[] = [];
  const seen = new Set<string>([communication.id!]);
  let parent = communication.inResponseTo?.[0]?.reference;
  while (parent?.startsWith('Communication/') && ids.length < MAX_ANCESTORS) {
    const id = parent.slice('Communication/'.length);
    if (seen.has(id)) break;
    seen.add(id);
    ids.unshift(await knownMessageId(q, id, settings));
    parent = (await readResource<Communication>(q, parent))?.inResponseTo?.[0]?.reference;
  }
  return ids;
}

const codingText = (c: Communication['category']) => c?.[0]?.text ?? c?.[0]?.coding?.[0]?.display ?? c?.[0]?.coding?.[0]?.code;

export async function composeMail(q: Queryable, communication: Communication, settings: MailSettings): Promise<OutgoingMail> {
  const texts: string[] = [];
  const attachments: OutgoingMail['attachments'] = [];
  for (const [i, p] of (communication.payload ?? []).entries()) {
    if (p.contentString) texts.push(p.contentString);
    else if (p.contentAttachment) {
      const bytes = await attachmentBytes(q, p.contentAttachment);
      const filename = p.contentAttachment.title ?? `piece-jointe-${i + 1}`;
      if (bytes) attachments.push({ filename, content: bytes.content, contentType: bytes.contentType ?? 'application/octet-stream' });
      else texts.push(`[Pièce jointe non disponible par courriel : ${filename}]`);
    } else if (p.contentReference) {
      texts.push(`[Document sur le hub : ${p.contentReference.display ?? p.contentReference.reference ?? ''}]`);
    }
  }
  const references = await ancestors(q, communication, settings);
  return {
    messageId: messageIdOf(communication.id!, settings.domain),
    subject: communication.topic?.text ?? codingText(communication.category) ?? 'Message',
    text: texts.join('\n\n') || '(message sans texte)',
    attachments,
    inReplyTo: references[references.length - 1],
    references,
  };
}

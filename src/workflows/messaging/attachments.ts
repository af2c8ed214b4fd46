// Message attachments live in Binary resources (FHIR R4 Attachment.url): inline data is moved into a Binary written in
// the message's transaction, so a refused message leaves no Binary behind; a url must name a Binary the hub holds.
import { createHash } from 'node:crypto';
import type { Attachment, Binary, Communication } from '@medplum/fhirtypes';
import { errors } from '../../fhir/errors';
import type { HubContext } from '../../fhir/hub-context';
import { newId, persistCreate } from '../../fhir/persist';
import type { Queryable } from '../../store/db';
import { readCurrent } from '../../store/resource-store';
import { checkBytes, checkContentType, checkSize, decodeBase64, mediaType, type AttachmentLimits } from './attachment-content';

const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest('base64');

interface Checked {
  attachment: Attachment;
  bytes: Buffer;
  type: string;
  where: string;
  /** Set when the bytes are inline and still need their Binary. */
  inline: boolean;
}

/**
 * Checks every payload attachment, then stores the inline ones as Binaries; returns the payload rewritten to
 * `url: Binary/[id]` with size and hash. Checking all before writing any keeps the common refusal cheap.
 */
export async function storeAttachments(ctx: HubContext, tx: Queryable, message: Communication, limits: AttachmentLimits): Promise<Communication['payload']> {
  const payload = message.payload;
  if (!payload) return payload;
  const checked: (Checked | undefined)[] = [];
  for (const [i, part] of payload.entries()) {
    checked.push(part.contentAttachment ? await checkAttachment(ctx, tx, part.contentAttachment, limits, `Communication.payload[${i}].contentAttachment`) : undefined);
  }
  const out: NonNullable<Communication['payload']> = [];
  for (const [i, part] of payload.entries()) {
    const c = checked[i];
    if (!c) {
      out.push(part);
      continue;
    }
    const url = c.inline ? await writeBinary(ctx, tx, c, message) : c.attachment.url!;
    const { data: _moved, ...rest } = c.attachment;
    out.push({ ...part, contentAttachment: { ...rest, url, size: c.bytes.length, hash: sha1(c.bytes) } });
  }
  return out;
}

async function checkAttachment(ctx: HubContext, tx: Queryable, att: Attachment, limits: AttachmentLimits, where: string): Promise<Checked> {
  const type = checkContentType(att.contentType, limits, where);
  let bytes: Buffer;
  let inline = false;
  if (att.data !== undefined) {
    if (att.url !== undefined) throw errors.unprocessableText('An attachment gives either data or url, not both', `${where}.url`);
    bytes = decodeBase64(att.data, where);
    inline = true;
  } else if (att.url !== undefined) {
    bytes = await storedBinaryBytes(ctx, tx, att.url, type, where);
  } else {
    throw errors.unprocessableText('A message attachment carries its bytes in data (base64) or names a Binary in url', `${where}.data`);
  }
  checkSize(bytes, att.size, limits, where);
  if (att.hash !== undefined && att.hash !== sha1(bytes)) throw errors.unprocessableText(`attachment.hash does not match the SHA-1 of the data (${sha1(bytes)})`, `${where}.hash`);
  checkBytes(bytes, type, where);
  return { attachment: att, bytes, type, where, inline };
}

/** `Binary/[id]` (or the hub's own absolute URL of it): the Binary must exist and say the same contentType. */
async function storedBinaryBytes(ctx: HubContext, tx: Queryable, url: string, type: string, where: string): Promise<Buffer> {
  const relative = url.startsWith(`${ctx.config.baseUrl}/`) ? url.slice(ctx.config.baseUrl.length + 1) : url;
  const m = /^Binary\/([A-Za-z0-9\-.]{1,64})$/.exec(relative);
  if (!m) throw errors.unprocessableText(`An attachment url must name a Binary of this hub (Binary/[id]), not "${url}"`, `${where}.url`);
  const stored = await readCurrent(tx, 'Binary', m[1]);
  if (!stored?.content || stored.deleted) throw errors.unprocessableText(`The attachment names ${relative}, which does not exist on this hub`, `${where}.url`);
  const binary = JSON.parse(stored.content) as Binary;
  if (mediaType(binary.contentType) !== type) {
    throw errors.unprocessableText(`The attachment says ${type} but ${relative} says ${binary.contentType}`, `${where}.contentType`);
  }
  return Buffer.from(binary.data ?? '', 'base64');
}

/** The Binary goes through the common write path: index rows, access check, audit and outbox event. */
async function writeBinary(ctx: HubContext, tx: Queryable, c: Checked, message: Communication): Promise<string> {
  const binary: Binary = { resourceType: 'Binary', id: newId(), contentType: c.attachment.contentType!, data: c.bytes.toString('base64') };
  // Binary.securityContext: the patient the message is about, so the Binary is seen by whoever may see the patient.
  if (message.subject?.reference) binary.securityContext = { reference: message.subject.reference };
  await persistCreate(ctx, tx, binary);
  return `Binary/${binary.id}`;
}

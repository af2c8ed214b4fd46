// What a message attachment may be (docs/messaging.md): an allow-listed media type, a bounded size, and bytes
// that are what the contentType says (FHIR R4 Attachment.contentType is only a claim; the recipient trusts it).
import { errors, FhirError } from '../../fhir/errors';
import { readContent } from '../liaison/binary-content';

export const DEFAULT_TYPES = ['application/pdf', 'image/jpeg', 'image/png', 'text/plain', 'application/xml', 'text/xml', 'application/fhir+json'];
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

export interface AttachmentLimits {
  types: string[];
  maxBytes: number;
}

/** MESSAGE_ATTACHMENT_TYPES (comma-separated media types) and MESSAGE_ATTACHMENT_MAX_BYTES, else the defaults. */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): AttachmentLimits {
  const types = (env.MESSAGE_ATTACHMENT_TYPES ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  const max = Number(env.MESSAGE_ATTACHMENT_MAX_BYTES);
  return { types: types.length ? types : DEFAULT_TYPES, maxBytes: Number.isInteger(max) && max > 0 ? max : DEFAULT_MAX_BYTES };
}

export const mediaType = (t: string | undefined) => (t ?? '').split(';')[0].trim().toLowerCase();

const invalid = (text: string, expression: string) => new FhirError(422, { code: 'invalid', id: 'HUB-0820', text, expression });

/** The attachment's contentType must be given and allowed; `where` is e.g. `Communication.payload[1].contentAttachment`. */
export function checkContentType(contentType: string | undefined, limits: AttachmentLimits, where: string): string {
  const type = mediaType(contentType);
  if (!type) throw invalid('A message attachment must say its contentType', `${where}.contentType`);
  if (!limits.types.includes(type)) throw invalid(`Attachments of type ${type} are not accepted in messages (allowed: ${limits.types.join(', ')})`, `${where}.contentType`);
  return type;
}

/** Decoded size against the limit (413: the request is too large, not malformed) and the declared size (422). */
export function checkSize(bytes: Buffer, declared: number | undefined, limits: AttachmentLimits, where: string): void {
  if (bytes.length > limits.maxBytes) {
    throw new FhirError(413, { code: 'too-costly', id: 'HUB-0821', text: `The attachment has ${bytes.length} bytes; messages accept at most ${limits.maxBytes}`, expression: `${where}.data` });
  }
  if (declared !== undefined && declared !== bytes.length) throw invalid(`attachment.size is ${declared} but the data has ${bytes.length} bytes`, `${where}.size`);
}

const startsWith = (bytes: Buffer, magic: number[]) => magic.every((b, i) => bytes[i] === b);

/** The bytes must be what `type` says: magic numbers for PDF and images, UTF-8 text, JSON with a resourceType, a CDA document for XML. */
export function checkBytes(bytes: Buffer, type: string, where: string): void {
  const mismatch = (what: string) => invalid(`The attachment says ${type} but its bytes are not ${what}`, `${where}.data`);
  switch (type) {
    case 'application/pdf':
      if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-') throw mismatch('a PDF (a PDF starts with "%PDF-")');
      return;
    case 'image/png':
      if (!startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) throw mismatch('a PNG image');
      return;
    case 'image/jpeg':
      if (!startsWith(bytes, [0xff, 0xd8, 0xff])) throw mismatch('a JPEG image');
      return;
    case 'text/plain':
      if (!isUtf8Text(bytes)) throw mismatch('UTF-8 text');
      return;
    case 'application/fhir+json':
      if (!isFhirJson(bytes)) throw mismatch('a FHIR JSON resource');
      return;
    case 'application/xml':
    case 'text/xml':
      checkCda(bytes, type, where);
      return;
    default:
      // A type added through MESSAGE_ATTACHMENT_TYPES that the hub cannot sniff: accepted as declared.
      return;
  }
}

function isUtf8Text(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

function isFhirJson(bytes: Buffer): boolean {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { resourceType?: unknown };
    return typeof parsed === 'object' && parsed !== null && typeof parsed.resourceType === 'string';
  } catch {
    return false;
  }
}

/** XML in messages is a CDA R2 document: the letters' parser judges it; every refusal is a 422 on the data. */
function checkCda(bytes: Buffer, type: string, where: string): void {
  try {
    readContent(type, bytes.toString('base64'), where);
  } catch (err) {
    if (!(err instanceof FhirError)) throw err;
    const text = err.outcome.issue[0]?.diagnostics ?? 'not a CDA R2 document';
    throw invalid(text.replace(/The Binary says/, 'The attachment says'), `${where}.data`);
  }
}

/** Base64 that decodes to itself (Buffer.from ignores garbage silently). */
export function decodeBase64(data: string, where: string): Buffer {
  const clean = data.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw errors.unprocessableText('attachment.data is not valid base64', `${where}.data`);
  return Buffer.from(clean, 'base64');
}

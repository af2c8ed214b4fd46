// A letter's bytes against what they claim to be (FHIR R4 Binary.contentType, Attachment.size/hash): a PDF starts
// with %PDF-, a CDA document is well-formed XML whose root is ClinicalDocument.
import { createHash } from 'node:crypto';
import type { Attachment } from '@medplum/fhirtypes';
import { CdaError, parseCdaHeader, type CdaHeader } from '../../connectors/cda/cda-header';
import { errors, FhirError } from '../../fhir/errors';

const PDF = new Set(['application/pdf']);
const CDA = new Set(['text/xml', 'application/xml', 'application/hl7-cda+xml', 'application/hl7-v3+xml']);
const mediaType = (t: string | undefined) => (t ?? '').split(';')[0].trim().toLowerCase();

export interface Content {
  kind: 'pdf' | 'cda';
  bytes: Buffer;
  cda?: CdaHeader;
}

/** Decodes and checks a Binary's data; `where` names the Binary in the Bundle for the error's expression. */
export function readContent(contentType: string | undefined, data: string | undefined, where: string): Content {
  const type = mediaType(contentType);
  if (!data) throw errors.unprocessableText('The Binary of a letter must carry its document in data (base64)', `${where}.data`);
  const bytes = Buffer.from(data, 'base64');
  if (PDF.has(type)) {
    if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-') {
      throw new FhirError(422, { code: 'invalid', id: 'HUB-0722', text: `The Binary says ${type} but its bytes are not a PDF (a PDF starts with "%PDF-", these start with ${JSON.stringify(bytes.subarray(0, 8).toString('latin1'))})`, expression: `${where}.contentType` });
    }
    return { kind: 'pdf', bytes };
  }
  if (CDA.has(type)) {
    if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') {
      throw new FhirError(422, { code: 'invalid', id: 'HUB-0722', text: `The Binary says ${type} (a CDA R2 document) but its bytes are a PDF: send it as application/pdf`, expression: `${where}.contentType` });
    }
    try {
      return { kind: 'cda', bytes, cda: parseCdaHeader(bytes) };
    } catch (err) {
      if (!(err instanceof CdaError)) throw err;
      if (err.kind === 'malformed') throw errors.badRequest(err.message, `${where}.data`, 'HUB-0723');
      throw new FhirError(422, { code: 'invalid', id: 'HUB-0724', text: `The Binary says ${type} (a CDA R2 document) but ${err.message.replace(/^The XML document/, 'its XML')}`, expression: `${where}.contentType` });
    }
  }
  throw errors.unsupportedMediaType(`A lettre de liaison is filed as application/pdf or as a CDA R2 document (${[...CDA].join(', ')}); the Binary's contentType "${contentType ?? ''}" is neither`);
}

/** Size and SHA-1 (Attachment.hash, base64) of the bytes: checked when the sender gave them, filled otherwise. */
export function checkAttachment(att: Attachment, bytes: Buffer, binaryType: string | undefined, where: string): void {
  if (att.contentType && mediaType(att.contentType) !== mediaType(binaryType)) {
    throw errors.unprocessableText(`The attachment says ${att.contentType} but the Binary it points to says ${binaryType}`, `${where}.contentType`);
  }
  const hash = createHash('sha1').update(bytes).digest('base64');
  if (att.size !== undefined && att.size !== bytes.length) throw errors.unprocessableText(`attachment.size is ${att.size} but the document has ${bytes.length} bytes`, `${where}.size`);
  if (att.hash !== undefined && att.hash !== hash) throw errors.unprocessableText(`attachment.hash does not match the SHA-1 of the document (${hash})`, `${where}.hash`);
  att.contentType ??= binaryType;
  att.size = bytes.length;
  att.hash = hash;
}

// Storing a generated document the MHD way (IHE MHD "provide document bundle", FHIR R4 §2.42 DocumentReference):
// a Binary holding the Bundle JSON, and a DocumentReference pointing at it, both written through the router so
// validation, access control, audit and subscriptions apply as to any client write, in one transaction.
import { createHash } from 'node:crypto';
import type { DocumentReference } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import { errors } from '../../fhir/errors';
import { inTransaction, type HubContext } from '../../fhir/hub-context';
import { newRequest, type FhirResponse } from '../../fhir/request';
import { dispatch } from '../../fhir/router';
import { hubDevice } from './summary-composition';

export interface StoredDocument {
  binaryId: string;
  documentReferenceId: string;
  /** Location of the DocumentReference's first version. */
  location: string;
}

export interface DocumentMetadata {
  patientId: string;
  type: { system: string; code: string; display: string };
  title: string;
  /** Bundle.identifier, repeated as the DocumentReference's masterIdentifier. */
  identifier: string;
  date: string;
}

/** The id in the Location header of a create answer (`…/Type/id/_history/n`). */
function createdId(out: FhirResponse, type: string): string {
  const m = new RegExp(`/${type}/([^/]+)/_history/`).exec(out.headers.Location ?? out.headers.location ?? '');
  if (out.status !== 201 || !m) throw errors.unprocessableText(`The ${type} of the document could not be stored (status ${out.status})`);
  return m[1];
}

export async function storeDocument(ctx: HubContext, bundleJson: string, meta: DocumentMetadata, tx?: Queryable): Promise<StoredDocument> {
  const base = ctx.config.baseUrl;
  const bytes = Buffer.from(bundleJson, 'utf8');
  return inTransaction(ctx, tx, async (t) => {
    const binary = { resourceType: 'Binary', contentType: 'application/fhir+json', securityContext: { reference: `Patient/${meta.patientId}` }, data: bytes.toString('base64') };
    const binaryId = createdId(await dispatch(ctx, newRequest('POST', ['Binary'], { body: binary, headers: { prefer: 'return=minimal' } }), t), 'Binary');
    const docRef: DocumentReference = {
      resourceType: 'DocumentReference',
      contained: [hubDevice()],
      masterIdentifier: { system: 'urn:ietf:rfc:3986', value: meta.identifier },
      status: 'current',
      docStatus: 'final',
      type: { coding: [meta.type], text: meta.title },
      subject: { reference: `Patient/${meta.patientId}` },
      date: meta.date,
      author: [{ reference: '#hub', display: 'fhir-hub' }],
      description: meta.title,
      content: [
        {
          attachment: {
            contentType: 'application/fhir+json',
            url: `${base}/Binary/${binaryId}`,
            size: bytes.length,
            hash: createHash('sha1').update(bytes).digest('base64'),
            title: meta.title,
            creation: meta.date,
          },
          format: { system: 'http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode', code: 'urn:ihe:pcc:ips:2020', display: 'International Patient Summary' },
        },
      ],
    };
    const out = await dispatch(ctx, newRequest('POST', ['DocumentReference'], { body: docRef, headers: { prefer: 'return=minimal' } }), t);
    const documentReferenceId = createdId(out, 'DocumentReference');
    return { binaryId, documentReferenceId, location: out.headers.Location ?? out.headers.location };
  });
}

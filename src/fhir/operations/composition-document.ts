// Composition/[id]/$document (FHIR R4 §2.42.5 OperationDefinition Composition-document): the document Bundle of a
// stored Composition — the Composition first, then the resources it references — optionally stored (persist).
import { createHash } from 'node:crypto';
import type { Composition } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import { documentResources, documentBundleText } from '../../workflows/summary/document-bundle';
import { storeDocument } from '../../workflows/summary/persist-document';
import { searchAll } from '../../workflows/summary/search-rows';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import { assertId } from '../interactions/body';
import type { FhirRequest, FhirResponse } from '../request';
import { persistFlag } from './patient-summary';

/** The same version of a Composition always gives the same document identifier (a name-based UUID). */
function documentIdentifier(base: string, composition: Composition): string {
  const h = createHash('sha1').update(`${base}/Composition/${composition.id}/_history/${composition.meta?.versionId ?? ''}`).digest('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export async function compositionDocumentOperation(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const id = req.path[1];
  assertId(id);
  const persist = persistFlag(req);
  const q = tx ?? ctx.db;
  const [row] = await searchAll(ctx, q, 'Composition', [['_id', id]]);
  if (!row) throw errors.notFound(`Composition/${id} is not known`);
  const composition = JSON.parse(row.content) as Composition;
  const resources = await documentResources(ctx, q, composition);
  const base = ctx.config.baseUrl;
  const identifier = documentIdentifier(base, composition);
  const timestamp = ctx.now().toISOString();
  const json = documentBundleText(ctx, { composition, compositionUrl: `${base}/Composition/${id}`, resources, identifier, timestamp });
  if (!persist) return { status: 200, json, headers: {} };
  const subject = /^Patient\/([^/]+)$/.exec(composition.subject?.reference?.replace(`${base}/`, '') ?? '');
  if (!subject) throw errors.unprocessableText('Only a Composition whose subject is a Patient can be stored as a shared document', 'Composition.subject');
  const type = composition.type.coding?.find((c) => c.system && c.code);
  if (!type) throw errors.unprocessableText('The Composition needs a coded type to be stored as a shared document', 'Composition.type');
  const stored = await storeDocument(ctx, json, {
    patientId: subject[1],
    type: { system: type.system!, code: type.code!, display: type.display ?? composition.title },
    title: composition.title,
    identifier,
    date: timestamp,
  }, tx);
  return { status: 201, json, headers: { Location: stored.location } };
}

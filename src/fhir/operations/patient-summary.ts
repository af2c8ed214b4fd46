// Patient/[id]/$summary (IPS OperationDefinition Patient-summary, on FHIR R4 §3.3 Documents): a document Bundle
// whose Composition follows the hub's patient-summary profile; `_format=html` renders it, `persist=true` stores it.
import type { Parameters } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import { documentResources, documentBundleText } from '../../workflows/summary/document-bundle';
import { documentHtml, wantsHtml } from '../../workflows/summary/html-page';
import { storeDocument } from '../../workflows/summary/persist-document';
import { searchAll } from '../../workflows/summary/search-rows';
import { buildSummary, SUMMARY_TYPE } from '../../workflows/summary/summary-composition';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import { assertId } from '../interactions/body';
import { param, type FhirRequest, type FhirResponse } from '../request';

/** `persist` from the URL or from a Parameters body (POST). */
export function persistFlag(req: FhirRequest): boolean {
  let raw: string | boolean | undefined = param(req, 'persist');
  const body = req.body as Parameters | undefined;
  if (body?.resourceType === 'Parameters') {
    const p = body.parameter?.find((x) => x.name === 'persist');
    if (p) raw = p.valueBoolean ?? p.valueString;
  } else if (body !== undefined) throw errors.badRequest('The body of this operation must be a Parameters resource', 'Parameters', 'HUB-0444');
  if (raw === undefined || raw === false || raw === 'false') return false;
  if (raw === true || raw === 'true') return true;
  throw errors.badRequest(`persist must be true or false, not "${raw}"`, 'persist', 'HUB-0444');
}

export async function patientSummaryOperation(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const id = req.path[1];
  assertId(id);
  const persist = persistFlag(req);
  const html = wantsHtml(param(req, '_format'), req.headers.accept);
  const q = tx ?? ctx.db;
  // Read through search: a patient the caller may not see is, like a missing one, not found.
  const [patient] = await searchAll(ctx, q, 'Patient', [['_id', id]]);
  if (!patient) throw errors.notFound(`Patient/${id} is not known`);
  const { composition, rows } = await buildSummary(ctx, q, patient);
  const resources = await documentResources(ctx, q, composition, rows);
  const identifier = `urn:uuid:${composition.id}`;
  const json = documentBundleText(ctx, { composition, compositionUrl: identifier, resources, identifier, timestamp: composition.date });
  const headers: Record<string, string> = {};
  let status = 200;
  if (persist) {
    const stored = await storeDocument(ctx, json, { patientId: id, type: SUMMARY_TYPE, title: composition.title, identifier, date: composition.date }, tx);
    headers.Location = stored.location;
    status = 201;
  }
  if (html) return { status, headers, raw: { contentType: 'text/html; charset=utf-8', body: documentHtml(composition) } };
  return { status, json, headers };
}

// patch (FHIR R4 §3.1.0.4.2) with JSON Patch (RFC 6902); If-Match and conditional patch.
import type { Resource } from '@medplum/fhirtypes';
import { applyPatch, type Operation } from 'fast-json-patch';
import type { Queryable } from '../../store/db';
import { errors } from '../errors';
import { inTransaction, type HubContext } from '../hub-context';
import { assertWritable } from '../package-origin';
import { assertValid, lockCurrent, persistUpdate } from '../persist';
import type { FhirRequest, FhirResponse } from '../request';
import { assertId, assertResourceType } from './body';
import { applyFhirPathPatch, isFhirPathPatch } from './fhirpath-patch';
import { criteriaFromParams, findMatches } from './conditional';
import { writeResponse } from './respond';
import { checkIfMatch } from './update';

type Patcher = (resource: Resource) => Resource;

/** JSON Patch (application/json-patch+json) or FHIRPath Patch (a Parameters resource as FHIR JSON). */
function patchOperations(req: FhirRequest): Patcher {
  const ct = (req.contentType ?? '').split(';')[0].trim();
  if (ct === 'application/fhir+json' || ct === 'application/json') {
    const body = req.body;
    if (!isFhirPathPatch(body)) throw errors.badRequest('A FHIRPath Patch is a Parameters resource', 'resourceType', 'HUB-0441');
    return (resource) => applyFhirPathPatch(resource, body);
  }
  if (ct !== 'application/json-patch+json') {
    throw errors.unsupportedMediaType(`PATCH takes application/json-patch+json or a FHIRPath Patch as application/fhir+json; got "${ct || 'no content type'}"`);
  }
  if (!Array.isArray(req.body)) throw errors.badRequest('A JSON Patch document is an array of operations', undefined, 'HUB-0441');
  const ops = req.body as Operation[];
  return (resource) => applyOperations(resource, ops);
}

function applyOperations(resource: Resource, ops: Operation[]): Resource {
  try {
    return applyPatch(structuredClone(resource), ops, true, false).newDocument;
  } catch (err) {
    const e = err as { message?: string; index?: number };
    const where = e.index !== undefined ? ` (operation ${e.index})` : '';
    throw errors.unprocessable([
      { severity: 'error', code: 'processing', diagnostics: `The patch cannot be applied${where}: ${String(e.message).split('\n')[0]}`, details: { text: `The patch cannot be applied${where}` } },
    ]);
  }
}

async function patchById(ctx: HubContext, req: FhirRequest, t: Queryable, type: string, id: string, apply: Patcher): Promise<FhirResponse> {
  const current = await lockCurrent(t, type, id);
  checkIfMatch(req, current, `${type}/${id}`);
  if (!current) throw errors.notFound(`${type}/${id} does not exist`);
  if (current.deleted) throw errors.gone(`${type}/${id} was deleted`);
  assertWritable(current);
  const patched = apply(JSON.parse(current.content!));
  if (patched.resourceType !== type || patched.id !== id) {
    throw errors.badRequest('A patch may not change resourceType or id', `${type}.id`, 'HUB-0442');
  }
  const warnings = assertValid(ctx, patched);
  const w = await persistUpdate(ctx, t, patched, current);
  return writeResponse(ctx, req, 200, w.version, w.resource, w.changed ? `Patched ${type}/${id}` : `${type}/${id} unchanged`, warnings);
}

export async function patch(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const [type, id] = req.path;
  assertResourceType(type);
  assertId(id);
  const ops = patchOperations(req);
  return inTransaction(ctx, tx, (t) => patchById(ctx, req, t, type, id, ops));
}

export async function conditionalPatch(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const [type] = req.path;
  assertResourceType(type);
  const ops = patchOperations(req);
  const criteria = criteriaFromParams(req.params);
  return inTransaction(ctx, tx, async (t) => {
    const found = await findMatches(ctx, t, type, criteria);
    if (found.length !== 1) {
      if (found.length === 0) throw errors.notFound(`No ${type} matches the criteria of the conditional patch`);
      throw errors.multipleMatches(`The criteria match several ${type} resources; conditional patch needs one`);
    }
    return patchById(ctx, req, t, type, found[0].id, ops);
  });
}

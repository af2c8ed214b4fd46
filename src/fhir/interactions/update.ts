// update (FHIR R4 §3.1.0.4) with create-on-update, If-Match (§3.1.0.5) and conditional update (§3.1.0.4.3).
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import type { StoredVersion } from '../../store/resource-store';
import { errors } from '../errors';
import { inTransaction, type HubContext } from '../hub-context';
import { assertWritable } from '../package-origin';
import { assertValid, lockCurrent, newId, persistUpdate } from '../persist';
import type { FhirRequest, FhirResponse } from '../request';
import { parseETag } from '../versioning';
import { assertId, assertResourceType, resourceBody } from './body';
import { conditionalUpdateId, criteriaFromParams } from './conditional';
import { writeResponse } from './respond';

export function checkIfMatch(req: FhirRequest, current: StoredVersion | undefined, what: string): void {
  if (!req.headers.ifMatch) return;
  const expected = parseETag(req.headers.ifMatch);
  if (!current || current.deleted) throw errors.preconditionFailed(`If-Match ${req.headers.ifMatch}: ${what} does not exist`);
  if (current.version !== expected) {
    throw errors.preconditionFailed(`If-Match ${req.headers.ifMatch} does not match the current version ${current.version} of ${what}`);
  }
}

async function updateById(ctx: HubContext, req: FhirRequest, t: Queryable, resource: Resource, warnings: OperationOutcomeIssue[]): Promise<FhirResponse> {
  const ref = `${resource.resourceType}/${resource.id}`;
  const current = await lockCurrent(t, resource.resourceType, resource.id!);
  checkIfMatch(req, current, ref);
  assertWritable(current);
  const w = await persistUpdate(ctx, t, resource, current);
  const status = w.created ? 201 : 200;
  return writeResponse(ctx, req, status, w.version, w.resource, w.changed ? `${w.created ? 'Created' : 'Updated'} ${ref}` : `${ref} unchanged`, warnings);
}

export async function update(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const [type, id] = req.path;
  assertResourceType(type);
  assertId(id);
  const resource = resourceBody(req.body, type);
  if (resource.id === undefined) throw errors.badRequest(`The ${type} in the body has no id; it must be "${id}"`, `${type}.id`, 'HUB-0435');
  if (resource.id !== id) throw errors.badRequest(`The id in the body ("${resource.id}") differs from the id in the URL ("${id}")`, `${type}.id`, 'HUB-0436');
  const warnings = assertValid(ctx, resource);
  return inTransaction(ctx, tx, (t) => updateById(ctx, req, t, resource, warnings));
}

/** PUT Type?criteria: no match creates, one match updates, several answer 412. */
export async function conditionalUpdate(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const [type] = req.path;
  assertResourceType(type);
  const body = resourceBody(req.body, type);
  const criteria = criteriaFromParams(req.params);
  return inTransaction(ctx, tx, async (t) => {
    const id = await conditionalUpdateId(ctx, t, type, criteria, body.id, newId);
    const resource: Resource = { ...body, id };
    const warnings = assertValid(ctx, resource);
    return updateById(ctx, req, t, resource, warnings);
  });
}

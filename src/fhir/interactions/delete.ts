// delete (FHIR R4 §3.1.0.7): logical deletion as a new version; conditional delete by criteria.
import type { Queryable } from '../../store/db';
import { errors } from '../errors';
import { inTransaction, type HubContext } from '../hub-context';
import { assertWritable } from '../package-origin';
import { lockCurrent, persistDelete } from '../persist';
import type { FhirRequest, FhirResponse } from '../request';
import { etag } from '../versioning';
import { assertId, assertResourceType } from './body';
import { criteriaFromParams, findMatches } from './conditional';
import { checkIfMatch } from './update';

async function deleteById(ctx: HubContext, req: FhirRequest, t: Queryable, type: string, id: string): Promise<FhirResponse> {
  const current = await lockCurrent(t, type, id);
  checkIfMatch(req, current, `${type}/${id}`);
  if (!current || current.deleted) return { status: 204, headers: {} };
  assertWritable(current);
  const deleted = await persistDelete(ctx, t, current);
  return { status: 204, headers: deleted ? { ETag: etag(deleted.version) } : {} };
}

export async function deleteResource(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const [type, id] = req.path;
  assertResourceType(type);
  assertId(id);
  return inTransaction(ctx, tx, (t) => deleteById(ctx, req, t, type, id));
}

export async function conditionalDelete(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const [type] = req.path;
  assertResourceType(type);
  const criteria = criteriaFromParams(req.params);
  return inTransaction(ctx, tx, async (t) => {
    const found = await findMatches(ctx, t, type, criteria);
    if (found.length > 1) throw errors.multipleMatches(`The criteria match several ${type} resources; conditional delete removes one at most`);
    if (found.length === 0) return { status: 204, headers: {} };
    return deleteById(ctx, req, t, type, found[0].id);
  });
}

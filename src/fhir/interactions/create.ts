// create (FHIR R4 §3.1.0.6), with conditional create through If-None-Exist (§3.1.0.8).
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import { readCurrent } from '../../store/resource-store';
import { errors } from '../errors';
import { inTransaction, type HubContext } from '../hub-context';
import { assertValid, newId, persistCreate } from '../persist';
import type { FhirRequest, FhirResponse } from '../request';
import { assertResourceType, resourceBody } from './body';
import { findMatches, parseCriteria } from './conditional';
import { writeResponse } from './respond';

export interface CreateOptions {
  /** Id chosen by a transaction for a urn:uuid entry; otherwise the server assigns one. */
  assignedId?: string;
}

export async function create(ctx: HubContext, req: FhirRequest, tx?: Queryable, opts: CreateOptions = {}): Promise<FhirResponse> {
  const [type] = req.path;
  assertResourceType(type);
  const body = resourceBody(req.body, type);
  const resource: Resource = { ...body, id: opts.assignedId ?? newId() };
  const warnings = assertValid(ctx, resource);
  const criteria = req.headers.ifNoneExist ? parseCriteria(req.headers.ifNoneExist) : undefined;
  return inTransaction(ctx, tx, async (t) => {
    if (criteria) {
      const found = await findMatches(ctx, t, type, criteria);
      if (found.length > 1) throw errors.multipleMatches(`If-None-Exist matches ${found.length === 2 ? 'several' : found.length} ${type} resources`);
      if (found.length === 1) {
        const existing = (await readCurrent(t, type, found[0].id))!;
        return writeResponse(ctx, req, 200, existing, undefined, `${type}/${existing.id} already matches; nothing created`);
      }
    }
    const w = await persistCreate(ctx, t, resource);
    return writeResponse(ctx, req, 201, w.version, w.resource, `Created ${type}/${resource.id}`, warnings);
  });
}

// vread (FHIR R4 §3.1.0.3): one version by its id; a deleted version answers 410.
import type { Queryable } from '../../store/db';
import { readVersion } from '../../store/resource-store';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import type { FhirRequest, FhirResponse } from '../request';
import { versionHeaders } from '../versioning';
import { assertId, assertResourceType } from './body';

export async function vread(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const [type, id, , vid] = req.path;
  assertResourceType(type);
  assertId(id);
  if (!/^\d{1,9}$/.test(vid)) throw errors.notFound(`${type}/${id} has no version "${vid}"`);
  const v = await readVersion(tx ?? ctx.db, type, id, Number(vid));
  if (!v) throw errors.notFound(`${type}/${id}/_history/${vid} does not exist`);
  const headers = versionHeaders(ctx.config.baseUrl, v);
  delete headers.Location;
  if (v.deleted) throw errors.gone(`${type}/${id} version ${vid} is a deletion`, headers);
  return { status: 200, json: v.content!, headers };
}

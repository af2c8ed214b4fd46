// read (FHIR R4 §3.1.0.2): the current version, 410 when deleted, 304 for a matching If-None-Match.
import type { Queryable } from '../../store/db';
import { readCurrent } from '../../store/resource-store';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import { param, type FhirRequest, type FhirResponse } from '../request';
import { shapeResource } from '../shape';
import { versionHeaders } from '../versioning';
import { assertId, assertResourceType } from './body';

export async function read(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const [type, id] = req.path;
  assertResourceType(type);
  assertId(id);
  const current = await readCurrent(tx ?? ctx.db, type, id);
  if (!current) throw errors.notFound(`${type}/${id} does not exist`);
  const headers = versionHeaders(ctx.config.baseUrl, current);
  delete headers.Location;
  if (current.deleted) throw errors.gone(`${type}/${id} was deleted`, headers);
  // The audit trail finds the patients of the row served with its batch (security/guard.ts).
  ctx.guard?.noteReturned([{ rid: current.rid, resType: type, id }]);
  if (req.headers.ifNoneMatch && noneMatchHits(req.headers.ifNoneMatch, current.version)) return { status: 304, headers };
  if (req.headers.ifModifiedSince && Date.parse(req.headers.ifModifiedSince) >= Math.floor(Date.parse(current.lastUpdated) / 1000) * 1000) {
    return { status: 304, headers };
  }
  const summary = param(req, '_summary');
  if (summary === 'count') throw errors.badRequest('_summary=count applies to searches; a read takes true, false, text or data', '_summary', 'HUB-0425');
  const elements = param(req, '_elements');
  if (summary || elements) {
    const shaped = shapeResource(JSON.parse(current.content!), summary, elements?.split(',').map((s) => s.trim()));
    return { status: 200, resource: shaped, headers };
  }
  return { status: 200, json: current.content!, headers };
}

/** If-None-Match (RFC 9110 §13.1.2): `*` or a list of entity tags, compared weakly. */
function noneMatchHits(header: string, version: number): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === `"${version}"`);
}

// read (FHIR R4 §3.1.0.2): the current version, 410 when deleted, 304 for a matching If-None-Match.
import type { Queryable } from '../../store/db';
import { readCurrent } from '../../store/resource-store';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import { param, type FhirRequest, type FhirResponse } from '../request';
import { shapeResource } from '../shape';
import { etag, versionHeaders } from '../versioning';
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
  if (req.headers.ifNoneMatch && req.headers.ifNoneMatch.replace(/^W\//, '') === etag(current.version).replace(/^W\//, '')) {
    return { status: 304, headers };
  }
  if (req.headers.ifModifiedSince && Date.parse(req.headers.ifModifiedSince) >= Math.floor(Date.parse(current.lastUpdated) / 1000) * 1000) {
    return { status: 304, headers };
  }
  const summary = param(req, '_summary');
  const elements = param(req, '_elements');
  if (summary || elements) {
    const shaped = shapeResource(JSON.parse(current.content!), summary, elements?.split(',').map((s) => s.trim()));
    return { status: 200, resource: shaped, headers };
  }
  return { status: 200, json: current.content!, headers };
}

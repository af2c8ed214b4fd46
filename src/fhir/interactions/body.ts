// Checks shared by interactions that take a resource body: type, id and shape.
import type { Resource } from '@medplum/fhirtypes';
import { ID_PATTERN, isResourceType } from '../definitions';
import { errors } from '../errors';

export function assertResourceType(type: string): void {
  if (!isResourceType(type)) throw errors.notFound(`Unknown resource type "${type}"`);
}

export function assertId(id: string): void {
  if (!ID_PATTERN.test(id)) throw errors.badRequest(`Invalid id "${id}": 1 to 64 letters, digits, "-" or "."`, 'id', 'HUB-0431');
}

/** The body as a resource of the expected type. */
export function resourceBody(body: unknown, type: string): Resource {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw errors.badRequest('The request body must be a JSON object holding a FHIR resource', undefined, 'HUB-0432');
  }
  const rt = (body as { resourceType?: unknown }).resourceType;
  if (typeof rt !== 'string') throw errors.badRequest('The resource has no resourceType', 'resourceType', 'HUB-0433');
  if (rt !== type) {
    throw errors.badRequest(`The body holds a ${rt} but the URL names ${type}`, 'resourceType', 'HUB-0434');
  }
  return body as Resource;
}

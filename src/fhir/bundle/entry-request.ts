// A Bundle entry's request as a FhirRequest (FHIR R4 §2.36.0.2 Bundle.entry.request).
import type { BundleEntry } from '@medplum/fhirtypes';
import { errors } from '../errors';
import { parseJsonText } from '../json-text';
import type { FhirRequest, HttpMethod } from '../request';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Splits `Patient/1?x=y` (or an absolute URL under the base) into path segments and parameters. */
export function parseRelativeUrl(url: string, baseUrl: string, where = 'Bundle.entry.request.url'): { path: string[]; params: [string, string][] } {
  let rel = url.startsWith(baseUrl + '/') ? url.slice(baseUrl.length + 1) : url;
  if (/^[a-z][a-z0-9+.-]*:/i.test(rel)) {
    throw errors.badRequest(`"${url}" is not a URL of this server; give it relative to the base ${baseUrl}`, where, 'HUB-0459');
  }
  rel = rel.replace(/^\/+/, '');
  const q = rel.indexOf('?');
  const pathPart = q >= 0 ? rel.slice(0, q) : rel;
  const params = q >= 0 ? [...new URLSearchParams(rel.slice(q + 1)).entries()] : [];
  try {
    return { path: pathPart.split('/').filter(Boolean).map(decodeURIComponent), params };
  } catch {
    throw errors.badRequest(`"${url}" is not validly percent-encoded`, where, 'HUB-0459');
  }
}

export function entryRequest(entry: BundleEntry, index: number, baseUrl: string): FhirRequest {
  const r = entry.request;
  const where = `Bundle.entry[${index}].request`;
  if (!r || typeof r.method !== 'string' || typeof r.url !== 'string') {
    throw errors.badRequest(`Entry ${index} has no request with method and url`, where, 'HUB-0460');
  }
  if (!METHODS.has(r.method)) throw errors.badRequest(`Entry ${index} has an unknown method "${r.method}"`, `${where}.method`, 'HUB-0461');
  const { path, params } = parseRelativeUrl(r.url, baseUrl, `${where}.url`);
  let body: unknown = entry.resource;
  let contentType: string | undefined;
  if (r.method === 'PATCH') {
    // JSON Patch travels in a Binary (FHIR R4 §2.36.4.1.1).
    const bin = entry.resource as { resourceType?: string; data?: string; contentType?: string } | undefined;
    if (bin?.resourceType !== 'Binary' || !bin.data) throw errors.badRequest(`PATCH entry ${index} must carry a Binary with the JSON Patch`, `Bundle.entry[${index}].resource`, 'HUB-0462');
    body = parseJsonText(Buffer.from(bin.data, 'base64').toString('utf8'), `The Binary of PATCH entry ${index}`);
    contentType = bin.contentType ?? 'application/json-patch+json';
  }
  return {
    method: r.method as HttpMethod,
    path,
    params,
    body,
    contentType,
    headers: { ifMatch: r.ifMatch, ifNoneExist: r.ifNoneExist, ifNoneMatch: r.ifNoneMatch, ifModifiedSince: r.ifModifiedSince },
  };
}

export function statusText(status: number): string {
  const texts: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 410: 'Gone', 412: 'Precondition Failed', 422: 'Unprocessable Entity' };
  return `${status} ${texts[status] ?? ''}`.trim();
}

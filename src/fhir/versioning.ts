// Versions, ETags and the headers every versioned answer carries (FHIR R4 §3.1.0.5 versioning, §3.1.0.8).
import type { Resource } from '@medplum/fhirtypes';
import { errors } from './errors';
import type { StoredVersion } from '../store/resource-store';

export function etag(version: number): string {
  return `W/"${version}"`;
}

/** Parses `W/"3"` or `"3"` or `3`; a malformed value is a client error. */
export function parseETag(value: string): number {
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(value.trim());
  if (!m) throw errors.badRequest(`Invalid ETag "${value}": expected W/"<version>"`, 'If-Match', 'HUB-0430');
  return Number(m[1]);
}

export function versionHeaders(baseUrl: string, v: Pick<StoredVersion, 'resType' | 'id' | 'version' | 'lastUpdated'>): Record<string, string> {
  return {
    ETag: etag(v.version),
    'Last-Modified': new Date(v.lastUpdated).toUTCString(),
    Location: `${baseUrl}/${v.resType}/${v.id}/_history/${v.version}`,
  };
}

/** Sets meta.versionId and meta.lastUpdated; keeps the client's other meta (profile, tag, security, source). */
export function stampMeta<T extends Resource>(resource: T, version: number, lastUpdated: string): T {
  const meta = { ...(resource.meta ?? {}), versionId: String(version), lastUpdated };
  return { ...resource, meta };
}

/** Same content apart from server-managed meta: an update that changes nothing makes no new version. */
export function sameContent(a: Resource, b: Resource): boolean {
  const strip = (r: Resource) => {
    const { meta, ...rest } = r;
    const { versionId: _v, lastUpdated: _l, ...otherMeta } = meta ?? {};
    return JSON.stringify({ ...rest, meta: otherMeta });
  };
  return strip(a) === strip(b);
}

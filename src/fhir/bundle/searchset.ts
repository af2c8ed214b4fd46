// searchset and history Bundles (FHIR R4 §3.1.1.6 paging, §2.36 Bundle), assembled around stored JSON text.
import type { Resource } from '@medplum/fhirtypes';
import { shapeResource } from '../shape';

export interface BundleEntryText {
  fullUrl: string;
  /** Stored JSON of the resource, or undefined (history entries of deletions). */
  content?: string;
  search?: { mode: 'match' | 'include' | 'outcome' };
  request?: { method: string; url: string };
  response?: { status: string; etag?: string; lastModified?: string };
}

export interface BundleLinks {
  self: string;
  first?: string;
  previous?: string;
  next?: string;
}

export function pageUrl(base: string, params: [string, string][], offset: number, count: number): string {
  const q = new URLSearchParams(params.filter(([k]) => k !== '_count'));
  q.set('_count', String(count));
  if (offset > 0) q.set('_offset', String(offset));
  const s = q.toString();
  return s ? `${base}?${s}` : base;
}

export function pageLinks(base: string, params: [string, string][], offset: number, count: number, hasMore: boolean): BundleLinks {
  const links: BundleLinks = { self: pageUrl(base, params, offset, count), first: pageUrl(base, params, 0, count) };
  if (offset > 0) links.previous = pageUrl(base, params, Math.max(0, offset - count), count);
  if (hasMore) links.next = pageUrl(base, params, offset + count, count);
  return links;
}

/** Builds the Bundle as text so stored resources are sent without a parse/serialize round trip. */
export function bundleText(type: 'searchset' | 'history', links: BundleLinks, entries: BundleEntryText[], total: number | undefined, shape?: { summary?: string; elements?: string[] }): string {
  const head: Record<string, unknown> = { resourceType: 'Bundle', id: cryptoId(), meta: { lastUpdated: new Date().toISOString() }, type };
  if (total !== undefined) head.total = total;
  head.link = Object.entries(links)
    .filter(([, url]) => url)
    .map(([relation, url]) => ({ relation, url }));
  const reshape = shape && (shape.summary || shape.elements);
  const parts = entries.map((e) => {
    const { content, fullUrl, ...rest } = e;
    const fields = [`"fullUrl":${JSON.stringify(fullUrl)}`];
    if (content !== undefined) {
      const body = reshape ? JSON.stringify(shapeResource(JSON.parse(content) as Resource, shape.summary, shape.elements)) : content;
      fields.push(`"resource":${body}`);
    }
    for (const [key, value] of Object.entries(rest)) if (value !== undefined) fields.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
    return `{${fields.join(',')}}`;
  });
  const headJson = JSON.stringify(head);
  // FHIR forbids empty arrays: no entry element when nothing matched.
  return parts.length === 0 ? headJson : `${headJson.slice(0, -1)},"entry":[${parts.join(',')}]}`;
}

function cryptoId(): string {
  return globalThis.crypto.randomUUID();
}

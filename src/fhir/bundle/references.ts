// Reference resolution inside a transaction (FHIR R4 §3.1.0.11.2): urn:uuid fullUrls and conditional references.
import type { Queryable } from '../../store/db';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import { findMatches } from '../interactions/conditional';
import { isResourceType } from '../definitions';

type Json = Record<string, unknown>;

/** Calls visit on every Reference.reference string in a resource (contained resources included). */
export function visitReferences(node: unknown, visit: (ref: string, holder: Json) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) visitReferences(item, visit);
  } else if (typeof node === 'object' && node !== null) {
    const obj = node as Json;
    for (const [key, value] of Object.entries(obj)) {
      if (key === 'reference' && typeof value === 'string') visit(value, obj);
      else if (typeof value === 'object') visitReferences(value, visit);
    }
  }
}

/**
 * Calls visit on every `url` element holding a `urn:uuid:` (Attachment.url above all): §3.1.0.11.2 asks the server
 * to replace the fullUrls it assigned wherever they appear as uri/url values, not only in references.
 */
export function visitUuidUrls(node: unknown, visit: (url: string, holder: Json) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) visitUuidUrls(item, visit);
  } else if (typeof node === 'object' && node !== null) {
    const obj = node as Json;
    for (const [key, value] of Object.entries(obj)) {
      if (key === 'url' && typeof value === 'string' && value.startsWith('urn:uuid:')) visit(value, obj);
      else if (typeof value === 'object') visitUuidUrls(value, visit);
    }
  }
}

const CONDITIONAL_REF = /^([A-Z][A-Za-z]+)\?(.+)$/;

/** Resolves `Type?criteria` references to `Type/id`; exactly one match is required. Results are cached per call. */
export async function resolveConditionalReference(ctx: HubContext, tx: Queryable, ref: string, cache: Map<string, string>, where: string): Promise<string | undefined> {
  const m = CONDITIONAL_REF.exec(ref);
  if (!m || !isResourceType(m[1])) return undefined;
  const cached = cache.get(ref);
  if (cached) return cached;
  const found = await findMatches(ctx, tx, m[1], [...new URLSearchParams(m[2]).entries()]);
  if (found.length !== 1) {
    const why = found.length === 0 ? 'matches no resource' : 'matches several resources';
    throw errors.badRequest(`The conditional reference "${ref}" ${why}; it must match exactly one`, where, 'HUB-0464');
  }
  const resolved = `${m[1]}/${found[0].id}`;
  cache.set(ref, resolved);
  return resolved;
}

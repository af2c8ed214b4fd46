// Searches and reads the hub makes on its own behalf while filing a letter (FHIR R4 §3.1.1 search, through dispatch).
import type { Resource } from '@medplum/fhirtypes';
import { FhirError } from '../../fhir/errors';
import type { HubContext } from '../../fhir/hub-context';
import { newRequest } from '../../fhir/request';
import { dispatch } from '../../fhir/router';
import { asHub } from '../../security/request-context';

/**
 * Identity vigilance must see every patient: a professional sending a letter has, by definition, no care
 * relationship yet with a patient the hub has never routed to them. The look-ups therefore run as the hub
 * (never the writes, which stay the sender's and go through its scopes and audit).
 */
export async function searchAsHub<T extends Resource>(ctx: HubContext, type: string, params: [string, string][]): Promise<T[]> {
  const out = await asHub(() => dispatch(ctx, newRequest('GET', [type], { params: [...params, ['_count', '50']] })));
  const bundle = out.resource ?? (out.json ? JSON.parse(out.json) : undefined);
  return ((bundle?.entry ?? []) as { resource: T; search?: { mode?: string } }[]).filter((e) => e.search?.mode !== 'include').map((e) => e.resource);
}

export async function readAsHub<T extends Resource>(ctx: HubContext, type: string, id: string): Promise<{ resource: T; version: string } | undefined> {
  try {
    const out = await asHub(() => dispatch(ctx, newRequest('GET', [type, id])));
    const resource = (out.resource ?? JSON.parse(out.json!)) as T;
    return { resource, version: resource.meta?.versionId ?? '1' };
  } catch (err) {
    // Absent or deleted: the caller decides what that means for the letter; anything else is a real failure.
    if (err instanceof FhirError && (err.status === 404 || err.status === 410)) return undefined;
    throw err;
  }
}

/** `Type/id` of a literal relative reference, else undefined. */
export function literal(ref: string | undefined, type?: string): { type: string; id: string } | undefined {
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(ref ?? '');
  if (!m || (type && m[1] !== type)) return undefined;
  return { type: m[1], id: m[2] };
}

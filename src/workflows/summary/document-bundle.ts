// Document Bundles (FHIR R4 §3.3 Documents, Bundle type "document"): the Composition first, then every resource
// it references, then what those reference outside the Patient compartment (practitioners, organisations,
// medications, locations…), each once, with a fullUrl a client can resolve on this server.
import type { Composition } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import type { HubContext } from '../../fhir/hub-context';
import type { SearchRow } from '../../fhir/search/execute';
import { compartmentParams } from '../../fhir/search/compartments';
import { readByReference } from './search-rows';

/** Every `Type/id` reference found anywhere in a JSON value, relative to this server's base. */
export function referencesIn(value: unknown, base: string, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) referencesIn(v, base, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') {
        const rel = v.startsWith(`${base}/`) ? v.slice(base.length + 1) : v;
        const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/.*)?$/.exec(rel);
        if (m) out.add(`${m[1]}/${m[2]}`);
      } else if (typeof v === 'object') referencesIn(v, base, out);
    }
  }
  return out;
}

const outsideCompartment = (type: string) => type !== 'Patient' && !compartmentParams('Patient', type);
const key = (r: SearchRow) => `${r.resType}/${r.id}`;

/**
 * The resources of a document: those the Composition references (`known` ones are not read again), then
 * the resources outside the Patient compartment that those reference.
 */
export async function documentResources(ctx: HubContext, q: Queryable, composition: Composition, known: SearchRow[] = []): Promise<SearchRow[]> {
  const base = ctx.config.baseUrl;
  const have = new Map(known.map((r) => [key(r), r]));
  const direct = [...referencesIn(composition, base)];
  const missing = direct.filter((ref) => !have.has(ref));
  for (const row of await readByReference(ctx, q, missing)) have.set(key(row), row);
  const firstRound = direct.map((ref) => have.get(ref)).filter((r): r is SearchRow => r !== undefined);
  const second = new Set<string>();
  for (const row of firstRound) for (const ref of referencesIn(JSON.parse(row.content), base)) if (!have.has(ref) && outsideCompartment(ref.split('/')[0])) second.add(ref);
  const secondRound = await readByReference(ctx, q, second);
  ctx.guard?.noteReturned([...firstRound, ...secondRound]);
  return [...firstRound, ...secondRound];
}

export interface DocumentBundleInput {
  composition: Composition;
  /** fullUrl of the Composition: its URL on this server when stored, a urn:uuid otherwise. */
  compositionUrl: string;
  resources: SearchRow[];
  /** Bundle.identifier value (a urn:uuid), stable across calls for a stored Composition's same version. */
  identifier: string;
  timestamp: string;
}

/** The Bundle as JSON text: stored resources are spliced in as stored, without a parse/serialize round trip. */
export function documentBundleText(ctx: HubContext, input: DocumentBundleInput): string {
  const base = ctx.config.baseUrl;
  const head = {
    resourceType: 'Bundle',
    id: globalThis.crypto.randomUUID(),
    meta: { lastUpdated: input.timestamp },
    identifier: { system: 'urn:ietf:rfc:3986', value: input.identifier },
    type: 'document',
    timestamp: input.timestamp,
  };
  const entries = [
    `{"fullUrl":${JSON.stringify(input.compositionUrl)},"resource":${JSON.stringify(input.composition)}}`,
    ...input.resources.map((r) => `{"fullUrl":${JSON.stringify(`${base}/${r.resType}/${r.id}`)},"resource":${r.content}}`),
  ];
  const headJson = JSON.stringify(head);
  return `${headJson.slice(0, -1)},"entry":[${entries.join(',')}]}`;
}

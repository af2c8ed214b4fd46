// Fast structural validation of a resource against the base FHIR R4 StructureDefinitions.
import type { Issue } from '../issue';
import { resourceDef } from './compile';
import { requiredExpansion } from './terminology';
import { Walker } from './walker';

export type { Issue } from '../issue';

export interface ValidateBaseOptions {
  /** FHIRPath prefix of the resource, e.g. `Bundle.entry[3].resource`; defaults to its resourceType. */
  path?: string;
}

export function validateBase(resource: unknown, options: ValidateBaseOptions = {}): Issue[] {
  const rt = (resource as { resourceType?: unknown } | null)?.resourceType;
  const root = options.path ?? (typeof rt === 'string' && resourceDef(rt) ? rt : 'Resource');
  const walker = new Walker(root);
  walker.resource(resource);
  return walker.issues;
}

/** Loads and compiles the definitions and terminology up front (e.g. at server start). */
export function warmUpBaseValidator(): void {
  resourceDef('Patient');
  requiredExpansion('http://hl7.org/fhir/ValueSet/administrative-gender');
}

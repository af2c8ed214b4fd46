// Compiled form of a StructureDefinition snapshot (FHIR R4 §2.4 ElementDefinition): a tree of element
// nodes keyed by element id, with slices hanging off the element they slice.
import type { CorePackage } from '../packages/core-package';
import type { FhirPackage } from '../packages/fhir-package';

export type Json = Record<string, unknown>;
export type PackageContext = FhirPackage | CorePackage;

export interface ElementType {
  code: string;
  profiles: string[];
  targetProfiles: string[];
  aggregation: string[];
}

export interface Constraint {
  key: string;
  severity: 'error' | 'warning';
  human: string;
  expression: string;
  source?: string;
}

export interface Discriminator {
  type: 'value' | 'pattern' | 'type' | 'profile' | 'exists';
  path: string;
}

export interface Slicing {
  discriminators: Discriminator[];
  rules: 'open' | 'closed' | 'openAtEnd';
  ordered: boolean;
}

export interface ProfileNode {
  id: string;
  path: string;
  /** Last path segment without `[x]`. */
  name: string;
  choice: boolean;
  min: number;
  max: number;
  types: ElementType[];
  fixed?: unknown;
  pattern?: unknown;
  binding?: { strength: string; valueSet?: string };
  constraints: Constraint[];
  children: ProfileNode[];
  slicing?: Slicing;
  slices: ProfileNode[];
  sliceName?: string;
}

export interface CompiledProfile {
  url: string;
  version?: string;
  /** Resource or datatype the profile constrains. */
  type: string;
  name: string;
  root: ProfileNode;
  /** Package the profile comes from: context for resolving what it references. */
  pkg: PackageContext;
}

/** Value of the `fixed[x]` / `pattern[x]` property of an element, if any. */
export function prefixedValue(element: Json, prefix: 'fixed' | 'pattern'): unknown {
  for (const key in element) {
    if (key.startsWith(prefix) && key.length > prefix.length && key.charCodeAt(prefix.length) < 91) return element[key];
  }
  return undefined;
}

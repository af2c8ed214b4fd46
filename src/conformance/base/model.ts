// Compiled form of StructureDefinition snapshots: one TypeDef per resource, datatype or backbone
// element, keyed by JSON property name so that validation is a walk over the instance's keys.
import type { PrimitiveCheck } from './primitives';

export enum Kind {
  Primitive,
  /** A datatype compiled from its own StructureDefinition (lazily, on first use). */
  Complex,
  /** A backbone element or `Element` declared inline in the snapshot. */
  Inline,
  /** A nested resource (contained, Bundle.entry.resource, ...). */
  Resource,
}

export interface TypeRef {
  code: string;
  kind: Kind;
  /** JSON property name: `valueQuantity` for a choice, else the element name. */
  jsonName: string;
  check?: PrimitiveCheck;
  def?: TypeDef;
  profile?: string;
  /** Required binding applies to this type (code, Coding, CodeableConcept). */
  bound?: 'code' | 'Coding' | 'CodeableConcept';
}

export interface ElementDef {
  /** Name without `[x]`. */
  name: string;
  min: number;
  max: number;
  isArray: boolean;
  choice: boolean;
  types: TypeRef[];
  valueSet?: string;
  /** Primitive element that may carry a `_name` sibling. */
  underscore: boolean;
}

export interface Slot {
  el: ElementDef;
  type: TypeRef;
}

export interface TypeDef {
  /** Path name used in messages: `Patient`, `Patient.contact`, `Quantity`. */
  name: string;
  byJson: Map<string, Slot>;
  required: ElementDef[];
  isExtension: boolean;
}

export function newTypeDef(name: string): TypeDef {
  return { name, byJson: new Map(), required: [], isExtension: name === 'Extension' };
}

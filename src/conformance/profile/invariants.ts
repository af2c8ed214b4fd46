// FHIRPath invariants of ElementDefinition.constraint (FHIR R4 §2.4 constraint, FHIRPath N1), evaluated
// with the `fhirpath` package; expressions are compiled once per element type.
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4';
import type { Constraint, Json } from './model';

/** Invariants the structural walk already enforces natively (or that fhirpath.js cannot evaluate). */
export const NATIVE_INVARIANTS = new Set(['ele-1', 'ext-1', 'dom-2', 'dom-3']);

type Compiled = (resource: unknown, env: Record<string, unknown>) => unknown[];
const compiled = new Map<string, Compiled | null>();

function compile(expression: string, base: string | undefined): Compiled | null {
  const key = `${base ?? ''}\u0000${expression}`;
  let fn = compiled.get(key);
  if (fn === undefined) {
    try {
      const path = base ? { base, expression } : expression;
      fn = fhirpath.compile(path as never, r4model as never, { traceFn: () => undefined } as never) as unknown as Compiled;
    } catch {
      fn = null;
    }
    compiled.set(key, fn);
  }
  return fn;
}

export type InvariantResult = 'pass' | 'fail' | 'unevaluable';

/** Runs one invariant on a value; `base` is the element path giving the value its FHIR type. */
export function evaluateInvariant(c: Constraint, value: unknown, base: string | undefined, resource: Json, rootResource: Json): InvariantResult {
  const fn = compile(c.expression, base);
  if (!fn) return 'unevaluable';
  try {
    const result = fn(value, { resource, rootResource });
    return result.length === 1 && result[0] === false ? 'fail' : 'pass';
  } catch {
    return 'unevaluable';
  }
}

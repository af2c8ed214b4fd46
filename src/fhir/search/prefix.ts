// Comparison prefixes of ordered parameters (FHIR R4 §3.1.1.4.1): eq ne gt lt ge le sa eb ap.
export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';
const PREFIXES = new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

export function splitPrefix(value: string): { prefix: Prefix; rest: string } {
  const p = value.slice(0, 2);
  if (PREFIXES.has(p) && value.length > 2 && !/^[a-z]/.test(value.slice(2, 3))) return { prefix: p as Prefix, rest: value.slice(2) };
  return { prefix: 'eq', rest: value };
}

/**
 * SQL for a target range [lo, hi] against a search range [slo, shi], following the specification's
 * definitions: eq = the search range contains the target; gt = the target reaches above the search range...
 * The search bounds are thunks, so only the bounds a prefix uses become bind parameters.
 */
export function rangeCondition(prefix: Prefix, lo: string, hi: string, slo: () => string, shi: () => string): string {
  const eq = () => `(${lo} >= ${slo()} AND ${hi} <= ${shi()})`;
  switch (prefix) {
    case 'eq':
      return eq();
    case 'ne':
      return `NOT ${eq()}`;
    case 'gt':
      return `${hi} > ${shi()}`;
    case 'lt':
      return `${lo} < ${slo()}`;
    case 'ge':
      return `(${hi} > ${shi()} OR ${eq()})`;
    case 'le':
      return `(${lo} < ${slo()} OR ${eq()})`;
    case 'sa':
      return `${lo} > ${shi()}`;
    case 'eb':
      return `${hi} < ${slo()}`;
    case 'ap':
      return `(${lo} <= ${shi()} AND ${hi} >= ${slo()})`;
  }
}

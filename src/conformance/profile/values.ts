// fixed[x] and pattern[x] comparison (FHIR R4 ElementDefinition.fixed[x] / pattern[x]) and the
// restricted FHIRPath navigation used by slicing discriminators (§5.1.0.10).
import type { Json } from './model';

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Exact equality, as fixed[x] requires (property order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => deepEqual(a[k], b[k]));
}

/** Pattern match: every property of the pattern is present with matching content; each pattern array item matches some instance item. */
export function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    const items = Array.isArray(value) ? value : [value];
    return pattern.every((p) => items.some((v) => matchesPattern(v, p)));
  }
  if (isObject(pattern)) {
    if (!isObject(value)) return false;
    for (const k in pattern) if (!matchesPattern(value[k], pattern[k])) return false;
    return true;
  }
  return value === pattern;
}

/** Splits a discriminator path on dots outside parentheses. */
export function pathSegments(path: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '.' && depth === 0) {
      out.push(path.slice(start, i));
      start = i + 1;
    }
  }
  out.push(path.slice(start));
  return out.filter((s) => s !== '' && s !== '$this');
}

/** Hook for `resolve()`: returns the resource a Reference points to, when it can be found. */
export type Resolver = (reference: Json) => Json | undefined;

const EXTENSION_CALL = /^extension\(['"](.+)['"]\)$/;
const OF_TYPE = /^ofType\((.+)\)$/;

/** Values reached by a discriminator path from a value (arrays flattened). */
export function navigate(start: unknown, segments: string[], resolve?: Resolver): unknown[] {
  let current: unknown[] = [start];
  for (const seg of segments) {
    const next: unknown[] = [];
    const ext = EXTENSION_CALL.exec(seg);
    const ofType = OF_TYPE.exec(seg);
    for (const v of current) {
      if (!isObject(v)) continue;
      if (ext) {
        const list = v.extension;
        if (Array.isArray(list)) for (const x of list) if (isObject(x) && x.url === ext[1]) next.push(x);
      } else if (seg === 'resolve()') {
        const target = resolve?.(v);
        if (target) next.push(target);
      } else if (ofType) {
        const type = ofType[1].replace(/^FHIR\./, '');
        if (v.resourceType === undefined || v.resourceType === type) next.push(v);
      } else {
        const name = seg.endsWith('[x]') ? seg.slice(0, -3) : seg;
        let found = v[name];
        if (found === undefined) {
          for (const key in v) if (key.startsWith(name) && key.length > name.length && key.charCodeAt(name.length) < 91) found = v[key];
        }
        if (Array.isArray(found)) next.push(...found);
        else if (found !== undefined) next.push(found);
      }
    }
    current = next;
  }
  return current;
}

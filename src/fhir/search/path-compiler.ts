// Compiles the FHIRPath expressions of SearchParameters (FHIR R4 §3.1.1 expression) into fast extractors.
// The simple path grammar used by nearly every definition runs natively; anything else goes to `fhirpath`.
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4';

type Json = Record<string, unknown>;
export type Extractor = (resource: Json) => unknown[];

type Step =
  | { kind: 'child'; name: string }
  | { kind: 'ofType'; type: string }
  | { kind: 'resolveIs'; type: string }
  | { kind: 'whereEq'; field: string; value: string }
  | { kind: 'index'; index: number }
  | { kind: 'first' };

const STEP_PATTERNS: [RegExp, (m: RegExpMatchArray) => Step][] = [
  [/^(?:ofType|as)\(([A-Za-z]+)\)/, (m) => ({ kind: 'ofType', type: m[1] })],
  [/^where\(resolve\(\) is ([A-Za-z]+)\)/, (m) => ({ kind: 'resolveIs', type: m[1] })],
  [/^where\(([a-zA-Z]+) ?= ?'([^']*)'\)/, (m) => ({ kind: 'whereEq', field: m[1], value: m[2] })],
  [/^first\(\)/, () => ({ kind: 'first' })],
  [/^([a-zA-Z][a-zA-Z0-9]*)/, (m) => ({ kind: 'child', name: m[1] })],
];

/** Splits `A | B | (C)` at the top level, ignoring bars inside parentheses or quotes. */
export function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && c === '|') {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

function stripOuterParens(s: string): string {
  while (s.startsWith('(') && s.endsWith(')')) {
    let depth = 0;
    let wraps = true;
    for (let i = 0; i < s.length - 1; i++) {
      if (s[i] === '(') depth++;
      else if (s[i] === ')') depth--;
      if (depth === 0) {
        wraps = false;
        break;
      }
    }
    if (!wraps) break;
    s = s.slice(1, -1).trim();
  }
  return s;
}

/** Parses `Type.a.b.ofType(X)...`; returns undefined when outside the simple grammar. */
export function parseSimplePath(expression: string): { root: string; steps: Step[] } | undefined {
  let s = stripOuterParens(expression.trim());
  const asMatch = /^(.*) as ([A-Za-z]+)$/.exec(s);
  let trailingAs: Step | undefined;
  if (asMatch) {
    s = stripOuterParens(asMatch[1].trim());
    trailingAs = { kind: 'ofType', type: asMatch[2] };
  }
  const rootMatch = /^([A-Z][A-Za-z]+)/.exec(s);
  if (!rootMatch) return undefined;
  const steps: Step[] = [];
  let rest = s.slice(rootMatch[1].length);
  while (rest.length > 0) {
    const idx = /^\[(\d+)\]/.exec(rest);
    if (idx) {
      steps.push({ kind: 'index', index: Number(idx[1]) });
      rest = rest.slice(idx[0].length);
      continue;
    }
    if (!rest.startsWith('.')) return undefined;
    rest = rest.slice(1);
    let matched = false;
    for (const [re, make] of STEP_PATTERNS) {
      const m = re.exec(rest);
      if (m) {
        steps.push(make(m));
        rest = rest.slice(m[0].length);
        matched = true;
        break;
      }
    }
    if (!matched) return undefined;
  }
  if (trailingAs) steps.push(trailingAs);
  return { root: rootMatch[1], steps };
}

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function push(out: unknown[], value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) for (const v of value) push(out, v);
  else out.push(value);
}

/** Children named `name`, including choice elements (`value` → valueQuantity, valueString...). */
function children(node: unknown, name: string, out: unknown[], choiceTag: WeakMap<object, string>): void {
  if (typeof node !== 'object' || node === null) return;
  const obj = node as Json;
  if (name in obj) {
    push(out, obj[name]);
    return;
  }
  for (const key of Object.keys(obj)) {
    if (key.length > name.length && key.startsWith(name) && key.charCodeAt(name.length) < 91) {
      const before = out.length;
      push(out, obj[key]);
      const type = key.slice(name.length);
      for (let i = before; i < out.length; i++) {
        const v = out[i];
        if (typeof v === 'object' && v !== null) choiceTag.set(v, type);
        else out[i] = new TypedPrimitive(v, type);
      }
    }
  }
}

/** A primitive reached through a choice element, remembering its type for ofType(). */
export class TypedPrimitive {
  constructor(
    readonly value: unknown,
    readonly type: string,
  ) {}
}

export function unwrap(v: unknown): unknown {
  return v instanceof TypedPrimitive ? v.value : v;
}

/** root undefined: the steps start from any element (composite components are relative paths). */
function compileSteps(root: string | undefined, steps: Step[]): Extractor {
  return (resource) => {
    if (root !== undefined && resource.resourceType !== root && root !== 'Resource' && root !== 'DomainResource') return [];
    const choiceTag = new WeakMap<object, string>();
    let current: unknown[] = [resource];
    for (const step of steps) {
      const next: unknown[] = [];
      switch (step.kind) {
        case 'child':
          for (const node of current) children(unwrap(node), step.name, next, choiceTag);
          break;
        case 'ofType':
          for (const node of current) {
            const tag = node instanceof TypedPrimitive ? node.type : choiceTag.get(node as object);
            if (tag === undefined || tag === upperFirst(step.type)) next.push(node);
          }
          break;
        case 'resolveIs':
          for (const node of current) {
            const ref = (node as Json)?.reference;
            if (typeof ref === 'string' && referenceType(ref) === step.type) next.push(node);
          }
          break;
        case 'whereEq':
          for (const node of current) if ((node as Json)?.[step.field] === step.value) next.push(node);
          break;
        case 'index':
          if (current.length > step.index) next.push(current[step.index]);
          break;
        case 'first':
          if (current.length > 0) next.push(current[0]);
          break;
      }
      current = next;
      if (current.length === 0) break;
    }
    return current.map(unwrap);
  };
}

/** The resource type a reference string points to: `Patient/1`, `http://x/fhir/Patient/1/_history/2`. */
export function referenceType(ref: string): string | undefined {
  const parts = ref.split('/');
  const hist = parts.indexOf('_history');
  const end = hist >= 0 ? hist : parts.length;
  return end >= 2 ? parts[end - 2] : undefined;
}

function compileWithFhirpath(expression: string): Extractor {
  const fn = fhirpath.compile(expression, r4model as never);
  return (resource) => {
    try {
      return (fn(resource) as unknown[]) ?? [];
    } catch {
      return [];
    }
  };
}

/** Compiles the parts of an expression that apply to `resourceType` into one extractor. */
export function compileExpression(expression: string, resourceType: string): Extractor | undefined {
  const extractors: Extractor[] = [];
  for (const part of splitUnion(expression)) {
    const simple = parseSimplePath(part);
    if (simple) {
      if (simple.root === resourceType || simple.root === 'Resource' || simple.root === 'DomainResource') {
        extractors.push(compileSteps(resourceType, simple.steps));
      }
      continue;
    }
    const rootMatch = /^\(?\s*([A-Z][A-Za-z]+)\./.exec(part);
    if (!rootMatch || rootMatch[1] === resourceType) extractors.push(compileWithFhirpath(part));
  }
  if (extractors.length === 0) return undefined;
  if (extractors.length === 1) return extractors[0];
  return (resource) => extractors.flatMap((e) => e(resource));
}

/** Compiles a path relative to an element (`code`, `value.ofType(Quantity) | value.ofType(Range)`); undefined outside the simple grammar. */
export function compileRelative(expression: string): Extractor | undefined {
  const extractors: Extractor[] = [];
  for (const part of splitUnion(expression)) {
    const simple = parseSimplePath(`Element.${part}`);
    if (!simple) return undefined;
    extractors.push(compileSteps(undefined, simple.steps));
  }
  return extractors.length === 1 ? extractors[0] : (element) => extractors.flatMap((e) => e(element));
}

// FHIRPath Patch (FHIR R4 §2.15 "FHIRPath Patch"): a Parameters resource of add, insert, delete,
// replace and move operations whose paths are FHIRPath expressions. Paths use the navigational subset
// patches are written in — names, [n], first(), last(), where(path = literal) — evaluated here to
// locations that can be changed; cardinality comes from the base definitions.
import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { resourceDef, typeDefOf } from '../../conformance/base/compile';
import { Kind, type TypeDef } from '../../conformance/base/model';
import { errors } from '../errors';

type Json = Record<string, unknown>;

/** A place in the resource: `holder[key]`, or `holder[key][index]` for one item of a list. */
interface Loc {
  holder: Json;
  key: string;
  index?: number;
  /** The definition of the value found here (undefined for primitives). */
  def?: TypeDef;
  isArray: boolean;
}

const valueAt = (l: Loc): unknown => (l.index === undefined ? l.holder[l.key] : (l.holder[l.key] as unknown[])[l.index]);

function fail(op: number, text: string) {
  return errors.badRequest(`FHIRPath Patch operation ${op + 1}: ${text}`, `Parameters.parameter[${op}]`, 'HUB-0443');
}

/** Splits `a.b.where(c = 'x.y').d` into steps, keeping dots inside parentheses and quotes. */
function steps(path: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const c of path) {
    if (c === "'") quoted = !quoted;
    if (!quoted && c === '(') depth++;
    if (!quoted && c === ')') depth--;
    if (c === '.' && !quoted && depth === 0) (out.push(cur), (cur = ''));
    else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

function literal(text: string): unknown {
  const t = text.trim();
  if (/^'.*'$/.test(t)) return t.slice(1, -1).replace(/\\'/g, "'");
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return undefined;
}

function children(loc: Loc, name: string): Loc[] {
  const node = valueAt(loc);
  if (typeof node !== 'object' || node === null) return [];
  const obj = node as Json;
  const slot = loc.def?.byJson.get(name);
  const def = slot && slot.type.kind !== Kind.Primitive ? typeDefOf(slot.type) : undefined;
  const isArray = slot?.el.isArray ?? Array.isArray(obj[name]);
  const value = obj[name];
  if (Array.isArray(value)) return value.map((_, index) => ({ holder: obj, key: name, index, def, isArray }));
  return value === undefined ? [] : [{ holder: obj, key: name, def, isArray }];
}

function evaluate(root: Resource, path: string, op: number): Loc[] {
  const [head, ...rest] = steps(path);
  if (head !== root.resourceType) throw fail(op, `path "${path}" must start with ${root.resourceType}`);
  let locs: Loc[] = [{ holder: { root }, key: 'root', def: resourceDef(root.resourceType), isArray: false }];
  for (const step of rest) {
    const m = /^([A-Za-z][A-Za-z0-9]*)(?:\[(\d+)\])?$/.exec(step);
    const where = /^where\((.+?)\s*=\s*(.+)\)$/.exec(step);
    if (m) {
      locs = locs.flatMap((l) => children(l, m[1]));
      if (m[2] !== undefined) locs = locs[Number(m[2])] ? [locs[Number(m[2])]] : [];
    } else if (step === 'first()') locs = locs.slice(0, 1);
    else if (step === 'last()') locs = locs.slice(-1);
    else if (where) {
      const expected = literal(where[2]);
      if (expected === undefined) throw fail(op, `unsupported literal in "${step}"`);
      const sub = where[1].split('.');
      locs = locs.filter((l) => sub.reduce<Loc[]>((acc, name) => acc.flatMap((x) => children(x, name)), [l]).some((x) => valueAt(x) === expected));
    } else throw fail(op, `"${step}" is outside the FHIRPath subset patches use (names, [n], first(), last(), where(path = literal))`);
  }
  return locs;
}

/** The value of an operation: a value[x] primitive or complex type, or parts building an object. */
function operationValue(p: ParametersParameter): unknown {
  const valueKey = Object.keys(p).find((k) => k.startsWith('value'));
  if (valueKey) return (p as unknown as Json)[valueKey];
  if (p.part?.length) return Object.fromEntries(p.part.map((part) => [part.name, operationValue(part)]));
  return undefined;
}

function single(locs: Loc[], op: number, what: string): Loc {
  if (locs.length !== 1) throw fail(op, `${what} must match exactly one element; it matches ${locs.length}`);
  return locs[0];
}

function removeAt(loc: Loc): void {
  if (loc.index === undefined) return void delete loc.holder[loc.key];
  const list = loc.holder[loc.key] as unknown[];
  list.splice(loc.index, 1);
  if (list.length === 0) delete loc.holder[loc.key];
}

function applyOne(root: Resource, p: ParametersParameter, op: number): void {
  const part = (name: string) => p.part?.find((x) => x.name === name);
  const type = part('type')?.valueCode;
  const path = part('path')?.valueString;
  if (!type || !path) throw fail(op, 'each operation needs a type and a path');
  const value = part('value') ? operationValue(part('value')!) : undefined;
  const locs = evaluate(root, path, op);
  switch (type) {
    case 'add': {
      const name = part('name')?.valueString;
      if (!name || value === undefined) throw fail(op, 'add needs a name and a value');
      const target = valueAt(single(locs, op, 'the path of add')) as Json;
      const container = single(locs, op, 'the path of add');
      const slot = container.def?.byJson.get(name);
      if (slot?.el.isArray || Array.isArray(target[name])) target[name] = [...((target[name] as unknown[]) ?? []), value];
      else if (target[name] !== undefined) throw fail(op, `${path}.${name} already has a value; use replace`);
      else target[name] = value;
      return;
    }
    case 'insert': {
      const index = part('index')?.valueInteger;
      const list = locs[0];
      if (!list || index === undefined || value === undefined) throw fail(op, 'insert needs a path to a list, an index and a value');
      const arr = (list.holder[list.key] as unknown[]) ?? [];
      if (index < 0 || index > arr.length) throw fail(op, `index ${index} is outside the list (0..${arr.length})`);
      arr.splice(index, 0, value);
      list.holder[list.key] = arr;
      return;
    }
    case 'delete':
      if (locs.length > 1) throw fail(op, `the path of delete matches ${locs.length} elements`);
      if (locs.length === 1) removeAt(locs[0]);
      return;
    case 'replace': {
      if (value === undefined) throw fail(op, 'replace needs a value');
      const loc = single(locs, op, 'the path of replace');
      if (loc.index === undefined) loc.holder[loc.key] = value;
      else (loc.holder[loc.key] as unknown[])[loc.index] = value;
      return;
    }
    case 'move': {
      const source = part('source')?.valueInteger;
      const destination = part('destination')?.valueInteger;
      const list = locs[0];
      const arr = list ? (list.holder[list.key] as unknown[]) : undefined;
      if (!arr || source === undefined || destination === undefined || source >= arr.length || destination >= arr.length || source < 0 || destination < 0) {
        throw fail(op, 'move needs a path to a list and a source and destination inside it');
      }
      arr.splice(destination, 0, ...arr.splice(source, 1));
      return;
    }
    default:
      throw fail(op, `unknown operation type "${type}" (add, insert, delete, replace, move)`);
  }
}

export function isFhirPathPatch(body: unknown): body is Parameters {
  return typeof body === 'object' && body !== null && (body as Resource).resourceType === 'Parameters';
}

export function applyFhirPathPatch(resource: Resource, patch: Parameters): Resource {
  const copy = structuredClone(resource);
  (patch.parameter ?? []).forEach((p, i) => {
    if (p.name !== 'operation') throw fail(i, `parameter "${p.name}" is not an operation`);
    applyOne(copy, p, i);
  });
  return copy;
}

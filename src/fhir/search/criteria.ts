// One search criterion (FHIR R4 §3.1.1.4): a plain parameter, a chain (§3.1.1.4.13) or a reverse chain _has (§3.1.1.4.14).
import { expandValueSet } from '../../conformance/base/terminology';
import { isResourceType } from '../definitions';
import { errors } from '../errors';
import type { SearchParamDef, SearchParamRegistry } from './registry';

export interface Filter {
  def: SearchParamDef;
  modifier?: string;
  /** OR-ed values (comma list), each still escaped; empty for chains and _has. */
  values: string[];
  /** Name as given, for links and error messages. */
  name: string;
  /** Chaining: follow the reference parameter `def` to each target type, where `next` must hold. */
  chain?: { type: string; next: Filter }[];
  /** Reverse chaining: a resource of `def.resourceType` refers to this one through `def`, and `has` holds for it. */
  has?: Filter;
  /** :in / :not-in: each value set URL of `values` with its codes by system. */
  valueSets?: Map<string, Map<string, Set<string>>>;
}

/** Deeper chains are refused: each level is a nested subquery. */
const MAX_DEPTH = 4;

function unknownParam(name: string, type: string) {
  return errors.badRequest(`Unknown search parameter "${name}" for ${type}`, name, 'HUB-0421');
}

function referenceParam(registry: SearchParamRegistry, type: string, code: string, whole: string): SearchParamDef {
  const def = registry.get(type, code);
  if (!def) throw unknownParam(whole, type);
  if (def.type !== 'reference') throw errors.badRequest(`"${code}" of ${type} is not a reference parameter and cannot be chained ("${whole}")`, whole, 'HUB-0427');
  return def;
}

/** Parses a parameter name (with its value list) into a filter on `type`. `values` is the split comma list. */
export function parseCriterion(registry: SearchParamRegistry, type: string, name: string, values: string[], depth = 0): Filter {
  if (depth > MAX_DEPTH) throw errors.badRequest(`"${name}" chains more than ${MAX_DEPTH} levels`, name, 'HUB-0428');
  if (name.startsWith('_has:')) return parseHas(registry, type, name, values, depth);
  const dot = name.indexOf('.');
  if (dot > 0) return parseChain(registry, type, name, dot, values, depth);
  const [code, modifier] = splitModifier(name);
  const def = registry.get(type, code);
  if (!def || def.type === 'special') throw unknownParam(name, type);
  if (def.type === 'composite' && !registry.componentsOf(def)) throw errors.notSupported(`Composite parameter "${code}" cannot be evaluated by the hub`);
  const filter: Filter = { def, modifier, values, name };
  if (def.type === 'token' && (modifier === 'in' || modifier === 'not-in')) filter.valueSets = expandAll(values, name);
  return filter;
}

function expandAll(urls: string[], name: string): Map<string, Map<string, Set<string>>> {
  const out = new Map<string, Map<string, Set<string>>>();
  for (const url of urls) {
    const codes = expandValueSet(url);
    if (!codes) throw errors.badRequest(`Value set "${url}" of "${name}" is not held by the hub or cannot be expanded`, name, 'HUB-0424');
    out.set(url, codes);
  }
  return out;
}

function splitModifier(name: string): [string, string | undefined] {
  const colon = name.indexOf(':');
  return colon < 0 ? [name, undefined] : [name.slice(0, colon), name.slice(colon + 1)];
}

/** `subject:Patient.name=x`: the reference, an optional target type, then a criterion on the target. */
function parseChain(registry: SearchParamRegistry, type: string, name: string, dot: number, values: string[], depth: number): Filter {
  const [code, typeModifier] = splitModifier(name.slice(0, dot));
  const rest = name.slice(dot + 1);
  const def = referenceParam(registry, type, code, name);
  if (typeModifier && !isResourceType(typeModifier)) throw errors.badRequest(`Unknown resource type "${typeModifier}" in "${name}"`, name, 'HUB-0427');
  const candidates = typeModifier ? [typeModifier] : (def.target ?? []);
  const chain: { type: string; next: Filter }[] = [];
  let firstError: unknown;
  for (const target of candidates) {
    try {
      chain.push({ type: target, next: parseCriterion(registry, target, rest, values, depth + 1) });
    } catch (err) {
      // A target type without that parameter simply cannot match; only an error for every target is one.
      firstError ??= err;
    }
  }
  if (chain.length === 0) throw firstError ?? unknownParam(name, type);
  return { def, values: [], name, chain };
}

/** `_has:Observation:patient:code=x`: Observations whose `patient` points here and whose code is x. */
function parseHas(registry: SearchParamRegistry, type: string, name: string, values: string[], depth: number): Filter {
  const parts = name.split(':');
  if (parts.length < 4) throw errors.badRequest(`"${name}" must read _has:Type:reference:parameter`, name, 'HUB-0429');
  const [, source, refCode] = parts;
  if (!isResourceType(source)) throw errors.badRequest(`Unknown resource type "${source}" in "${name}"`, name, 'HUB-0429');
  const def = referenceParam(registry, source, refCode, name);
  if (def.target && !def.target.includes(type)) {
    throw errors.badRequest(`${source}.${refCode} cannot refer to a ${type} ("${name}")`, name, 'HUB-0429');
  }
  const has = parseCriterion(registry, source, parts.slice(3).join(':'), values, depth + 1);
  return { def, values: [], name, has };
}

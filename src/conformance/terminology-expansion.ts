// ValueSet expansion (FHIR R4 §4.9 ValueSet: compose and expansion) over the code systems and value sets the hub holds.
// Never a guess: every part that cannot be resolved is recorded in `missing`, and `certain` turns false when
// the listed codes may include some that are not members (an exclude that could not be resolved).
export type Json = Record<string, unknown>;

export interface Entry {
  system: string;
  code: string;
  display?: string;
  version?: string;
}

export interface Gap {
  /** The code system the unresolved part draws from; undefined: any (an imported value set not held). */
  system?: string;
  reason: string;
}

export interface Expansion {
  contains: Entry[];
  /** Include parts that could not be resolved: the expansion lacks their codes. */
  missing: Gap[];
  /** False when `contains` may hold codes that are not members. */
  certain: boolean;
}

/** Where the expansion finds the resources it references (packages, then base R4), in a package's context. */
export interface TerminologySource<C = unknown> {
  resolve(canonical: string, context?: C): { resource: Json; context?: C } | undefined;
}

interface Include {
  system?: string;
  version?: string;
  concept?: { code: string; display?: string }[];
  filter?: { property: string; op: string; value: string }[];
  valueSet?: string[];
}

const key = (e: { system: string; code: string }) => `${e.system}\u0000${e.code}`;

/** Concepts of a code system, nested ones included, with their parent (from nesting or the parent/child properties). */
export function flatConcepts(cs: Json): { concept: Json; parents: string[] }[] {
  let out = flatCache.get(cs);
  if (!out) flatCache.set(cs, (out = flatten(cs)));
  return out;
}

const flatCache = new WeakMap<Json, { concept: Json; parents: string[] }[]>();

function flatten(cs: Json): { concept: Json; parents: string[] }[] {
  const out: { concept: Json; parents: string[] }[] = [];
  const walk = (list: unknown, parent?: string): void => {
    if (!Array.isArray(list)) return;
    for (const c of list as Json[]) {
      if (typeof c.code !== 'string') continue;
      const parents = parent ? [parent] : [];
      for (const p of (c.property ?? []) as Json[]) {
        if ((p.code === 'parent' || p.code === 'subsumedBy') && typeof p.valueCode === 'string') parents.push(p.valueCode);
      }
      out.push({ concept: c, parents });
      walk(c.concept, c.code);
    }
  };
  walk(cs.concept);
  // `child` properties name children: record them as parents of those children.
  const byCode = new Map(out.map((o) => [o.concept.code as string, o]));
  for (const o of out) {
    for (const p of (o.concept.property ?? []) as Json[]) {
      const child = p.code === 'child' && typeof p.valueCode === 'string' ? byCode.get(p.valueCode) : undefined;
      if (child && !child.parents.includes(o.concept.code as string)) child.parents.push(o.concept.code as string);
    }
  }
  return out;
}

export class Expander<C> {
  private readonly inProgress = new Set<string>();

  constructor(private readonly source: TerminologySource<C>) {}

  /** Expands a ValueSet resource whose references resolve in `context` (the package it comes from). */
  expand(vs: Json, context?: C): Expansion {
    const compose = vs.compose as { include?: Include[]; exclude?: Include[] } | undefined;
    if (!compose?.include?.length) {
      const stated = (vs.expansion as { contains?: Entry[]; total?: number } | undefined)?.contains;
      const total = (vs.expansion as { total?: number } | undefined)?.total;
      // A stated expansion counts only when flat and whole (not one page of a larger one).
      if (stated?.length && (total === undefined || total === stated.length) && !stated.some((c) => (c as { contains?: unknown }).contains)) {
        return { contains: stated.map((c) => ({ system: c.system, code: c.code, display: c.display, version: c.version })), missing: [], certain: true };
      }
      return { contains: [], missing: [{ reason: `ValueSet ${String(vs.url ?? vs.id)} has no compose.include the hub can expand` }], certain: true };
    }
    const contains = new Map<string, Entry>();
    const missing: Gap[] = [];
    let certain = true;
    for (const inc of compose.include) {
      const part = this.part(inc, context);
      missing.push(...part.missing);
      certain &&= part.certain;
      for (const e of part.contains) if (!contains.has(key(e))) contains.set(key(e), e);
    }
    for (const exc of compose.exclude ?? []) {
      const part = this.part(exc, context);
      for (const e of part.contains) contains.delete(key(e));
      // Codes an unresolved exclude would remove are unknown: what is left may hold non-members.
      if (part.missing.length) certain = false;
    }
    return { contains: [...contains.values()], missing, certain };
  }

  /** One include or exclude: its value sets (intersected) and its system part (intersected with them). */
  private part(inc: Include, context?: C): Expansion {
    const sets: Expansion[] = [];
    for (const canonical of inc.valueSet ?? []) sets.push(this.imported(canonical, context));
    if (inc.system) sets.push(this.systemPart(inc, context));
    if (sets.length === 0) return { contains: [], missing: [{ reason: 'An include has neither system nor valueSet' }], certain: true };
    let acc = sets[0];
    for (const next of sets.slice(1)) {
      const keep = new Set(next.contains.map(key));
      acc = { contains: acc.contains.filter((e) => keep.has(key(e))), missing: [...acc.missing, ...next.missing], certain: acc.certain && next.certain };
    }
    return acc;
  }

  private imported(canonical: string, context?: C): Expansion {
    const found = this.source.resolve(canonical, context);
    if (!found || found.resource.resourceType !== 'ValueSet') return { contains: [], missing: [{ reason: `the value set ${canonical} is not held by the hub` }], certain: true };
    const id = `${canonical}`;
    if (this.inProgress.has(id)) return { contains: [], missing: [{ reason: `the value set ${canonical} includes itself` }], certain: true };
    this.inProgress.add(id);
    try {
      return this.expand(found.resource, found.context ?? context);
    } finally {
      this.inProgress.delete(id);
    }
  }

  private systemPart(inc: Include, context?: C): Expansion {
    const system = inc.system!;
    const cs = this.codeSystem(system, inc.version, context);
    const byCode = cs ? new Map(flatConcepts(cs).map((o) => [o.concept.code as string, o.concept])) : undefined;
    const displayOf = (code: string) => byCode?.get(code)?.display as string | undefined;
    const version = cs?.version as string | undefined;
    if (inc.concept?.length && !inc.filter?.length) {
      // Enumerated codes are members by definition, whether or not the hub holds their code system.
      const contains = inc.concept.map((c) => ({ system, code: c.code, display: c.display ?? displayOf(c.code), version }));
      return { contains, missing: [], certain: true };
    }
    const gap = (reason: string): Expansion => ({ contains: [], missing: [{ system, reason }], certain: true });
    if (!cs) return gap(`the code system ${system} is not held by the hub`);
    if (cs.content !== 'complete') return gap(`the hub holds the code system ${system} only as content=${String(cs.content)}, not all its codes`);
    let concepts = flatConcepts(cs);
    for (const f of inc.filter ?? []) {
      const declared = new Set(((cs.property ?? []) as Json[]).map((p) => p.code as string));
      const selected = applyFilter(concepts, f, declared);
      if (!selected) return gap(`the filter ${f.property} ${f.op} ${f.value} on ${system} is not supported`);
      concepts = selected;
    }
    const contains = concepts.map((o) => ({ system, code: o.concept.code as string, display: o.concept.display as string | undefined, version }));
    return { contains, missing: [], certain: true };
  }

  codeSystem(system: string, version: string | undefined, context?: C): Json | undefined {
    const found = this.source.resolve(version ? `${system}|${version}` : system, context);
    return found?.resource.resourceType === 'CodeSystem' ? found.resource : undefined;
  }
}

type Flat = ReturnType<typeof flatConcepts>;

/** The compose filters (R4 filter-operator) over the hierarchy and properties of a complete code system; null: not supported. */
function applyFilter(concepts: Flat, f: { property: string; op: string; value: string }, declared: Set<string>): Flat | null {
  if (f.property === 'concept' && (f.op === 'is-a' || f.op === 'descendent-of' || f.op === 'is-not-a')) {
    const below = new Set<string>();
    let grew = true;
    while (grew) {
      grew = false;
      for (const o of concepts) {
        const code = o.concept.code as string;
        if (!below.has(code) && o.parents.some((p) => p === f.value || below.has(p))) {
          below.add(code);
          grew = true;
        }
      }
    }
    if (f.op === 'is-a') below.add(f.value);
    if (f.op === 'is-not-a') return concepts.filter((o) => !below.has(o.concept.code as string) && o.concept.code !== f.value);
    return concepts.filter((o) => below.has(o.concept.code as string));
  }
  if (f.op === '=' || f.op === 'in') {
    const values = f.op === 'in' ? f.value.split(',').map((v) => v.trim()) : [f.value];
    if (f.property === 'code' || f.property === 'concept') return concepts.filter((o) => values.includes(o.concept.code as string));
    if (!declared.has(f.property)) return null; // a property the code system does not define: no answer
    return concepts.filter((o) =>
      ((o.concept.property ?? []) as Json[]).some((p) => p.code === f.property && values.includes(String(p.valueCode ?? p.valueString ?? p.valueBoolean ?? p.valueInteger))),
    );
  }
  return null;
}

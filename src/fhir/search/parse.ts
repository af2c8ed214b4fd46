// Parses search parameters into a query (FHIR R4 §3.1.1): names, modifiers, prefixes, escaped lists.
import { errors } from '../errors';
import type { CompartmentScope } from './compartments';
import { parseCriterion, type Filter } from './criteria';
import { parseIncludeSpec } from './includes';
import type { SearchParamDef, SearchParamRegistry } from './registry';
import type { AccessRule } from '../../store/access-sql';

export type { Filter } from './criteria';

export interface SortKey {
  def: SearchParamDef;
  descending: boolean;
}

export interface SearchQuery {
  resourceType: string;
  filters: Filter[];
  sort: SortKey[];
  count: number;
  offset: number;
  total: 'none' | 'estimate' | 'accurate';
  summary?: string;
  elements?: string[];
  include: string[];
  revinclude: string[];
  /** Compartment search: only resources linked to this compartment (e.g. /Patient/123/Observation). */
  compartment?: CompartmentScope;
  /** System search over several types: one branch per further type, OR-ed with this one. */
  union?: SearchQuery[];
  /** The parameters understood, to rebuild self/next links. */
  canonicalParams: [string, string][];
  /** The caller's access restriction (src/security), compiled into the SQL of the search; absent: none. */
  access?: AccessRule;
}

/** Result parameters handled by the engine, not by the index. */
export const CONTROL_PARAMS = new Set(['_count', '_offset', '_sort', '_total', '_summary', '_elements', '_include', '_revinclude', '_include:iterate', '_revinclude:iterate', '_format', '_pretty', '_contained', '_containedType']);

/** Splits a comma list, honouring `\,` escapes (§3.1.1.1.6). */
export function splitValues(raw: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length) {
      cur += raw[i + 1] === ',' ? ',' : c + raw[i + 1];
      i++;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Splits `system|code` on the first unescaped bar; unescapes `\|` and `\\`. */
export function splitBar(value: string): [string, string] | undefined {
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') i++;
    else if (value[i] === '|') return [unescape(value.slice(0, i)), unescape(value.slice(i + 1))];
  }
  return undefined;
}

export function unescape(v: string): string {
  return v.replace(/\\([\\|$,])/g, '$1');
}

function wholeNumber(name: string, raw: string, max?: number): number {
  if (!/^\d+$/.test(raw)) throw errors.badRequest(`Parameter ${name} must be a whole number, got "${raw}"`, name, 'HUB-0420');
  const n = Number(raw);
  return max !== undefined ? Math.min(n, max) : n;
}

export interface ParseOptions {
  lenient: boolean;
  defaultCount: number;
  maxCount: number;
}

export function parseSearch(registry: SearchParamRegistry, resourceType: string, params: [string, string][], opts: ParseOptions): SearchQuery {
  const q: SearchQuery = {
    resourceType,
    filters: [],
    sort: [],
    count: opts.defaultCount,
    offset: 0,
    total: 'accurate',
    include: [],
    revinclude: [],
    canonicalParams: [],
  };
  for (const [name, raw] of params) {
    // PostgreSQL text cannot hold NUL; no FHIR value contains one.
    if (name.includes('\u0000') || raw.includes('\u0000')) throw errors.badRequest(`Search parameter "${name.replace(/\u0000/g, '\\0')}" contains a NUL character`, undefined, 'HUB-0422');
    if (CONTROL_PARAMS.has(name)) {
      parseControl(registry, q, name, raw, opts);
      if (name !== '_offset' && name !== '_format' && name !== '_pretty') q.canonicalParams.push([name, raw]);
      continue;
    }
    let filter: Filter;
    try {
      filter = parseCriterion(registry, resourceType, name, splitValues(raw));
    } catch (err) {
      // Lenient handling drops parameters it does not know, and leaves them out of the self link.
      if (opts.lenient && (err as { status?: number }).status === 400) continue;
      throw err;
    }
    if (raw === '') {
      if (opts.lenient) continue;
      throw errors.badRequest(`Search parameter "${name}" has an empty value`, name, 'HUB-0422');
    }
    q.filters.push(filter);
    q.canonicalParams.push([name, raw]);
  }
  return q;
}

function parseControl(registry: SearchParamRegistry, q: SearchQuery, name: string, raw: string, opts: ParseOptions): void {
  switch (name) {
    case '_count':
      q.count = wholeNumber(name, raw, opts.maxCount);
      break;
    case '_offset':
      q.offset = wholeNumber(name, raw);
      break;
    case '_total':
      if (raw !== 'none' && raw !== 'estimate' && raw !== 'accurate') throw errors.badRequest(`_total must be none, estimate or accurate`, name);
      q.total = raw;
      break;
    case '_summary':
      if (!['true', 'false', 'text', 'data', 'count'].includes(raw)) throw errors.badRequest(`_summary must be true, false, text, data or count`, name);
      q.summary = raw;
      break;
    case '_elements':
      q.elements = raw.split(',').map((s) => s.trim()).filter(Boolean);
      break;
    case '_sort':
      for (const key of raw.split(',')) {
        const descending = key.startsWith('-');
        const code = descending ? key.slice(1) : key;
        const def = registry.get(q.resourceType, code);
        if (!def) throw errors.badRequest(`Unknown sort parameter "${code}" for ${q.resourceType}`, '_sort', 'HUB-0423');
        q.sort.push({ def, descending });
      }
      break;
    case '_include':
    case '_revinclude':
    case '_include:iterate':
    case '_revinclude:iterate': {
      // R4 writes iteration as a modifier of the name; a ':iterate' suffix on the value is accepted too.
      const spec = name.endsWith(':iterate') ? `${raw}:iterate` : raw;
      checkInclude(registry, parseIncludeSpec(spec, name), name, raw);
      (name.startsWith('_include') ? q.include : q.revinclude).push(spec);
      break;
    }
  }
}

/** An include must name a reference parameter of its source type (or `*`). */
function checkInclude(registry: SearchParamRegistry, spec: { source: string; param: string }, name: string, raw: string): void {
  if (spec.param === '*') return;
  const def = registry.get(spec.source, spec.param);
  if (!def || def.type !== 'reference') throw errors.badRequest(`${name}=${raw}: ${spec.source} has no reference parameter "${spec.param}"`, name, 'HUB-0450');
}

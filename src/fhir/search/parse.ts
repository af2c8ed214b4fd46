// Parses search parameters into a query (FHIR R4 §3.1.1): names, modifiers, prefixes, escaped lists.
import { errors } from '../errors';
import type { SearchParamDef, SearchParamRegistry } from './registry';

export interface Filter {
  def: SearchParamDef;
  modifier?: string;
  /** OR-ed values (comma list), each unescaped. */
  values: string[];
  /** Name as given, for links and error messages. */
  name: string;
}

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
  /** The parameters understood, to rebuild self/next links. */
  canonicalParams: [string, string][];
}

/** Result parameters handled by the engine, not by the index. */
const CONTROL = new Set(['_count', '_offset', '_sort', '_total', '_summary', '_elements', '_include', '_revinclude', '_format', '_pretty', '_contained', '_containedType']);

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
    if (CONTROL.has(name)) {
      parseControl(registry, q, name, raw, opts);
      if (name !== '_offset' && name !== '_format' && name !== '_pretty') q.canonicalParams.push([name, raw]);
      continue;
    }
    const [code, modifier] = name.split(':', 2);
    const def = registry.get(resourceType, code);
    if (!def || def.type === 'special') {
      if (opts.lenient) continue;
      throw errors.badRequest(`Unknown search parameter "${name}" for ${resourceType}`, name, 'HUB-0421');
    }
    if (code.includes('.')) throw errors.notSupported(`Chained parameters are not supported yet: "${name}"`);
    if (raw === '' && modifier !== 'missing') {
      if (opts.lenient) continue;
      throw errors.badRequest(`Search parameter "${name}" has an empty value`, name, 'HUB-0422');
    }
    q.filters.push({ def, modifier, values: splitValues(raw), name });
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
      q.include.push(raw);
      break;
    case '_revinclude':
      q.revinclude.push(raw);
      break;
  }
}

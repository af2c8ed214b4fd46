// Compiles a parsed search into SQL over the typed index tables (FHIR R4 §3.1.1.4), bind parameters only.
import { errors } from '../fhir/errors';
import { dateRange } from '../fhir/search/dates';
import { splitBar, unescape, type Filter } from '../fhir/search/parse';
import { rangeCondition, splitPrefix } from '../fhir/search/prefix';
import { foldText } from '../fhir/search/text';
import { accessCondition, type AccessRule } from './access-sql';
import { compositeCondition } from './search-composite-sql';
import { likeEscape, SqlParams } from './sql-builder';

export type ValueSql = (p: SqlParams, value: string, f: Filter) => string;

export const TABLE_OF: Record<string, string> = {
  string: 'idx_string',
  token: 'idx_token',
  reference: 'idx_reference',
  date: 'idx_date',
  number: 'idx_number',
  quantity: 'idx_quantity',
  uri: 'idx_uri',
};

function invalid(f: Filter, value: string, expected: string) {
  return errors.badRequest(`Invalid value "${value}" for search parameter "${f.name}": expected ${expected}`, f.name, 'HUB-0424');
}

const stringValue: ValueSql = (p, value, f) => {
  const v = unescape(value);
  if (f.modifier === 'exact') return `t.raw = ${p.bind(v)}`;
  if (f.modifier === 'contains') return `t.value LIKE ${p.bind('%' + likeEscape(foldText(v)) + '%')}`;
  return `t.value LIKE ${p.bind(likeEscape(foldText(v)) + '%')}`;
};

const tokenValue: ValueSql = (p, value) => {
  const parts = splitBar(value);
  if (!parts) return `t.code = ${p.bind(unescape(value))}`;
  const [system, code] = parts;
  if (system === '') return `(t.code = ${p.bind(code)} AND t.system IS NULL)`;
  if (code === '') return `t.system = ${p.bind(system)}`;
  return `(t.code = ${p.bind(code)} AND t.system = ${p.bind(system)})`;
};

/** :in / :not-in: the value set's codes, expanded when the criterion was parsed. */
const tokenInValue: ValueSql = (p, value, f) => {
  const codes = f.valueSets!.get(value)!;
  // A `code` element carries no system: its binding implies it, so a bare code matches too.
  const bySystem = [...codes].map(([system, set]) => `((t.system = ${p.bind(system)} OR t.system IS NULL) AND t.code = ANY(${p.bind([...set])}::text[]))`);
  return bySystem.length ? `(${bySystem.join(' OR ')})` : 'FALSE';
};

const tokenTextValue: ValueSql = (p, value) => `lower(t.text) LIKE ${p.bind('%' + likeEscape(value.toLowerCase()) + '%')}`;

function referenceValueFor(baseUrl: string): ValueSql {
  return (p, value, f) => {
    let v = unescape(value);
    if (v.startsWith(baseUrl + '/')) v = v.slice(baseUrl.length + 1);
    if (/^[a-z][a-z0-9+.-]*:/i.test(v)) return `t.url = ${p.bind(v)}`;
    const parts = v.split('/');
    if (parts.length >= 2) return `(t.target_type = ${p.bind(parts[0])} AND t.target_id = ${p.bind(parts[1])})`;
    if (f.modifier && f.modifier !== 'missing') return `(t.target_type = ${p.bind(f.modifier)} AND t.target_id = ${p.bind(v)})`;
    return `t.target_id = ${p.bind(v)}`;
  };
}

/** The implicit range of a decimal given its precision: "100" → [99.5, 100.5]. */
function numberRange(text: string): { lo: number; hi: number } | undefined {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const n = Number(text);
  const decimals = /\.(\d+)/.exec(text.split(/[eE]/)[0])?.[1].length ?? 0;
  const half = 0.5 * Math.pow(10, -decimals);
  return { lo: n - half, hi: n + half };
}

function numericCondition(p: SqlParams, value: string, f: Filter): string {
  const { prefix, rest } = splitPrefix(value);
  const r = numberRange(rest);
  if (!r) throw invalid(f, value, 'a number, optionally prefixed (eq, ne, gt, lt, ge, le, sa, eb, ap)');
  if (prefix === 'ap') {
    const spread = Math.abs(Number(rest)) * 0.1;
    r.lo = Math.min(r.lo, Number(rest) - spread);
    r.hi = Math.max(r.hi, Number(rest) + spread);
  }
  const n = Number(rest);
  // Stored values are exact points: comparisons other than eq/ne/ap use the value itself.
  if (prefix === 'gt' || prefix === 'lt' || prefix === 'ge' || prefix === 'le' || prefix === 'sa' || prefix === 'eb') {
    return rangeCondition(prefix, 't.lo', 't.hi', () => `${p.bind(n)}::numeric`, () => `${p.bind(n)}::numeric`);
  }
  return rangeCondition(prefix, 't.lo', 't.hi', () => `${p.bind(r.lo)}::numeric`, () => `${p.bind(r.hi)}::numeric`);
}

const quantityValue: ValueSql = (p, value, f) => {
  const [num, system, code] = splitQuantity(value);
  const conds = [numericCondition(p, num, f)];
  if (code) conds.push(`(t.code = ${p.bind(code)} OR (t.code IS NULL AND t.unit = ${p.bind(code)}))`);
  if (system) conds.push(`t.system = ${p.bind(system)}`);
  return `(${conds.join(' AND ')})`;
};

function splitQuantity(value: string): [string, string, string] {
  const first = splitBar(value);
  if (!first) return [value, '', ''];
  const second = splitBar(first[1]);
  return second ? [first[0], second[0], second[1]] : [first[0], '', first[1]];
}

const dateValue: ValueSql = (p, value, f) => {
  const { prefix, rest } = splitPrefix(value);
  const r = dateRange(rest);
  if (!r) throw invalid(f, value, 'a date such as 2024, 2024-03, 2024-03-15 or 2024-03-15T10:00:00Z, optionally prefixed');
  let { lo, hi } = r;
  if (prefix === 'ap') {
    const spread = Math.max(Math.abs(Date.now() - Date.parse(lo)) * 0.1, 86_400_000);
    lo = new Date(Date.parse(lo) - spread).toISOString();
    hi = new Date(Date.parse(hi) + spread).toISOString();
  }
  return rangeCondition(prefix, 't.lo', 't.hi', () => `${p.bind(lo)}::timestamptz`, () => `${p.bind(hi)}::timestamptz`);
};

const uriValue: ValueSql = (p, value, f) => {
  const v = unescape(value);
  if (f.modifier === 'below') return `t.value LIKE ${p.bind(likeEscape(v) + '%')}`;
  if (f.modifier === 'above') return `${p.bind(v)} LIKE (replace(replace(t.value, '%', '\\%'), '_', '\\_') || '%')`;
  return `t.value = ${p.bind(v)}`;
};

const MODIFIERS: Record<string, Set<string>> = {
  string: new Set(['exact', 'contains', 'missing']),
  token: new Set(['not', 'text', 'missing', 'of-type', 'in', 'not-in']),
  reference: new Set(['missing', 'identifier']),
  date: new Set(['missing']),
  number: new Set(['missing']),
  quantity: new Set(['missing']),
  uri: new Set(['below', 'above', 'missing']),
};

function builtinCondition(p: SqlParams, f: Filter, alias: string): string {
  if (f.def.code === '_id') return `${alias}.id = ANY(${p.bind(f.values.map(unescape))}::text[])`;
  // _lastUpdated: the resource column, a point in time.
  const column = `${alias}.last_updated`;
  const ors = f.values.map((v) => dateValue(p, v, f).replace(/t\.lo|t\.hi/g, column));
  return `(${ors.join(' OR ')})`;
}

/** Chaining: the reference points at a resource of a target type on which the next criterion holds. */
function chainCondition(p: SqlParams, f: Filter, baseUrl: string, alias: string, depth: number, access?: AccessRule): string {
  const inner = `r${depth + 1}`;
  // One branch per target type, joined by UNION ALL: an OR of IN-subqueries would defeat the planner.
  const branches = f.chain!.map(({ type, next }) => {
    // The access rule holds at every level: a chain must not test resources the caller may not see.
    let cond = filterCondition(p, next, baseUrl, inner, depth + 1, type, access);
    if (access) cond += ` AND ${accessCondition(p, access, inner, type)}`;
    return `SELECT t.rid FROM idx_reference t WHERE t.res_type = ${p.bind(f.def.resourceType)} AND t.param = ${p.bind(f.def.code)}
      AND t.target_type = ${p.bind(type)} AND t.target_id IN (SELECT ${inner}.id FROM resource ${inner} WHERE ${inner}.res_type = ${p.bind(type)} AND NOT ${inner}.deleted AND ${cond})`;
  });
  return `${alias}.rid IN (${branches.join(' UNION ALL ')})`;
}

/** Reverse chaining: some resource of the source type refers here through the parameter and matches. */
function hasCondition(p: SqlParams, f: Filter, baseUrl: string, alias: string, depth: number, targetType: string, access?: AccessRule): string {
  const inner = `r${depth + 1}`;
  let cond = filterCondition(p, f.has!, baseUrl, inner, depth + 1, f.def.resourceType, access);
  if (access) cond += ` AND ${accessCondition(p, access, inner, f.def.resourceType)}`;
  return `${alias}.id IN (SELECT t.target_id FROM idx_reference t JOIN resource ${inner} ON ${inner}.rid = t.rid
     WHERE t.res_type = ${p.bind(f.def.resourceType)} AND t.param = ${p.bind(f.def.code)} AND t.target_type = ${p.bind(targetType)} AND NOT ${inner}.deleted AND ${cond})`;
}

/** The condition of one value with no modifier, on index alias `t`, for a parameter type. */
export function plainValueSql(type: string, baseUrl: string): ValueSql {
  const byType: Record<string, ValueSql> = {
    string: stringValue,
    token: tokenValue,
    reference: referenceValueFor(baseUrl),
    date: dateValue,
    number: numericCondition,
    quantity: quantityValue,
    uri: uriValue,
  };
  return byType[type];
}

/** SQL condition on the resource row `alias` (of type `resourceType`) for one criterion. */
export function filterCondition(p: SqlParams, f: Filter, baseUrl: string, alias: string, depth: number, resourceType: string, access?: AccessRule): string {
  if (f.chain) return chainCondition(p, f, baseUrl, alias, depth, access);
  if (f.has) return hasCondition(p, f, baseUrl, alias, depth, resourceType, access);
  if (f.def.builtin) return builtinCondition(p, f, alias);
  if (f.def.type === 'composite') return compositeCondition(p, f, baseUrl, alias);
  const type = f.def.type;
  const allowed = MODIFIERS[type];
  const isTypeModifier = type === 'reference' && f.modifier && /^[A-Z]/.test(f.modifier);
  if (f.modifier && !isTypeModifier && !allowed?.has(f.modifier)) {
    throw errors.badRequest(`Modifier ":${f.modifier}" is not supported on ${type} parameter "${f.def.code}"`, f.name, 'HUB-0425');
  }
  let table = TABLE_OF[type];
  if (!table) throw errors.notSupported(`Search parameters of type ${type} are not supported yet ("${f.name}")`);
  let param = f.def.code;
  let valueSql: ValueSql;
  if (f.modifier === 'missing') {
    const v = f.values[0];
    if (v !== 'true' && v !== 'false') throw invalid(f, v, 'true or false');
    const sub = `SELECT t.rid FROM ${table} t WHERE t.res_type = ${p.bind(f.def.resourceType)} AND t.param = ${p.bind(param)}`;
    return `${alias}.rid ${v === 'true' ? 'NOT IN' : 'IN'} (${sub})`;
  }
  switch (type) {
    case 'string':
      valueSql = stringValue;
      break;
    case 'token':
      valueSql = f.modifier === 'text' ? tokenTextValue : f.modifier === 'in' || f.modifier === 'not-in' ? tokenInValue : tokenValue;
      if (f.modifier === 'of-type') {
        param = `${param}:of-type`;
        valueSql = (pp, value, ff) => {
          const parts = value.split('|');
          if (parts.length !== 3) throw invalid(ff, value, 'system|code|value');
          return `(t.system = ${pp.bind(parts[0])} AND t.code = ${pp.bind(parts[1] + '|' + parts[2])})`;
        };
      }
      break;
    case 'reference':
      if (f.modifier === 'identifier') {
        table = 'idx_token';
        param = `${param}:identifier`;
        valueSql = tokenValue;
      } else valueSql = referenceValueFor(baseUrl);
      break;
    case 'date':
      valueSql = dateValue;
      break;
    case 'number':
      valueSql = numericCondition;
      break;
    case 'quantity':
      valueSql = quantityValue;
      break;
    default:
      valueSql = uriValue;
  }
  const ors = f.values.map((v) => valueSql(p, v, f));
  const sub = `SELECT t.rid FROM ${table} t WHERE t.res_type = ${p.bind(f.def.resourceType)} AND t.param = ${p.bind(param)} AND (${ors.join(' OR ')})`;
  const negated = f.modifier === 'not' || f.modifier === 'not-in';
  return `${alias}.rid ${negated ? 'NOT IN' : 'IN'} (${sub})`;
}

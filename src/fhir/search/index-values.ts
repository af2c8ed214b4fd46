// Turns a resource into typed search index rows (FHIR R4 §3.1.1.4 search parameter types), driven by the registry.
import type { SearchParamDef, SearchParamRegistry } from './registry';
import { referenceType } from './path-compiler';
import { dateRange } from './dates';
import { foldText } from './text';

type Json = Record<string, unknown>;

export interface IndexRows {
  string: { param: string; value: string; raw: string }[];
  token: { param: string; system: string | null; code: string | null; text: string | null }[];
  reference: { param: string; targetType: string | null; targetId: string | null; url: string | null }[];
  date: { param: string; lo: string; hi: string }[];
  number: { param: string; lo: number; hi: number }[];
  quantity: { param: string; system: string | null; code: string | null; unit: string | null; lo: number; hi: number }[];
  uri: { param: string; value: string }[];
}

export function emptyRows(): IndexRows {
  return { string: [], token: [], reference: [], date: [], number: [], quantity: [], uri: [] };
}

const MAX_INDEXED_TEXT = 2000;
const STRING_PARTS = {
  name: ['text', 'family', 'given', 'prefix', 'suffix'],
  address: ['text', 'line', 'city', 'district', 'state', 'postalCode', 'country'],
};

function addString(rows: IndexRows, param: string, raw: unknown): void {
  if (typeof raw !== 'string' || raw.length === 0) return;
  const text = raw.slice(0, MAX_INDEXED_TEXT);
  rows.string.push({ param, value: foldText(text), raw: text });
}

function stringValues(rows: IndexRows, def: SearchParamDef, value: unknown): void {
  if (typeof value === 'string') return addString(rows, def.code, value);
  if (typeof value !== 'object' || value === null) return;
  const obj = value as Json;
  const keys = 'family' in obj || 'given' in obj ? STRING_PARTS.name : 'line' in obj || 'city' in obj || 'postalCode' in obj ? STRING_PARTS.address : [...STRING_PARTS.name, ...STRING_PARTS.address];
  for (const key of keys) {
    const v = obj[key];
    if (Array.isArray(v)) for (const s of v) addString(rows, def.code, s);
    else addString(rows, def.code, v);
  }
}

function codingRow(rows: IndexRows, param: string, coding: Json, text: string | null): void {
  const code = typeof coding.code === 'string' ? coding.code : null;
  const system = typeof coding.system === 'string' ? coding.system : null;
  const display = typeof coding.display === 'string' ? coding.display : null;
  if (code || system) rows.token.push({ param, system, code, text: text ?? display });
}

function tokenValues(rows: IndexRows, def: SearchParamDef, value: unknown): void {
  const param = def.code;
  if (typeof value === 'string') return void rows.token.push({ param, system: null, code: value, text: null });
  if (typeof value === 'boolean') return void rows.token.push({ param, system: null, code: String(value), text: null });
  if (typeof value !== 'object' || value === null) return;
  const obj = value as Json;
  if (Array.isArray(obj.coding) || typeof obj.text === 'string') {
    const text = typeof obj.text === 'string' ? obj.text : null;
    const codings = (obj.coding as Json[] | undefined) ?? [];
    for (const c of codings) codingRow(rows, param, c, text);
    if (codings.length === 0 && text) rows.token.push({ param, system: null, code: null, text });
    return;
  }
  if ('value' in obj && typeof obj.value === 'string') {
    // Identifier or ContactPoint: system|value; an identifier's type feeds :of-type.
    const system = typeof obj.system === 'string' ? obj.system : null;
    const type = obj.type as Json | undefined;
    const typeText = typeof type?.text === 'string' ? type.text : null;
    rows.token.push({ param, system, code: obj.value, text: typeText });
    for (const c of (type?.coding as Json[] | undefined) ?? []) {
      if (typeof c.code === 'string') {
        rows.token.push({ param: `${param}:of-type`, system: (c.system as string) ?? null, code: `${c.code}|${obj.value}`, text: null });
      }
    }
    return;
  }
  if ('code' in obj || 'system' in obj) codingRow(rows, param, obj, null);
}

function referenceValues(rows: IndexRows, def: SearchParamDef, value: unknown, baseUrl: string): void {
  const param = def.code;
  if (typeof value === 'string') return void rows.reference.push({ param, targetType: null, targetId: null, url: value });
  if (typeof value !== 'object' || value === null) return;
  const obj = value as Json;
  const identifier = obj.identifier as Json | undefined;
  if (identifier && typeof identifier.value === 'string') {
    rows.token.push({ param: `${param}:identifier`, system: (identifier.system as string) ?? null, code: identifier.value, text: null });
  }
  const ref = obj.reference;
  if (typeof ref !== 'string' || ref.startsWith('#')) return;
  const local = ref.startsWith(baseUrl + '/') ? ref.slice(baseUrl.length + 1) : ref;
  const parts = local.split('/');
  if (!/^[a-z]+:/i.test(local) && parts.length >= 2) {
    rows.reference.push({ param, targetType: parts[0], targetId: parts[1], url: null });
  } else {
    rows.reference.push({ param, targetType: referenceType(ref) ?? null, targetId: null, url: ref });
  }
}

function numberRange(n: number): { lo: number; hi: number } {
  return { lo: n, hi: n };
}

function quantityValues(rows: IndexRows, def: SearchParamDef, value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  const obj = value as Json;
  if (typeof obj.value === 'number') {
    rows.quantity.push({
      param: def.code,
      system: (obj.system as string) ?? null,
      code: (obj.code as string) ?? (obj.currency as string) ?? null,
      unit: (obj.unit as string) ?? null,
      ...numberRange(obj.value),
    });
  } else if ('low' in obj || 'high' in obj) {
    const low = obj.low as Json | undefined;
    const high = obj.high as Json | undefined;
    const q = low ?? high ?? {};
    rows.quantity.push({
      param: def.code,
      system: (q.system as string) ?? null,
      code: (q.code as string) ?? null,
      unit: (q.unit as string) ?? null,
      lo: typeof low?.value === 'number' ? low.value : -Number.MAX_VALUE,
      hi: typeof high?.value === 'number' ? high.value : Number.MAX_VALUE,
    });
  }
}

function dateValues(rows: IndexRows, def: SearchParamDef, value: unknown): void {
  const param = def.code;
  if (typeof value === 'string') {
    const r = dateRange(value);
    if (r) rows.date.push({ param, lo: r.lo, hi: r.hi });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const obj = value as Json;
  if ('start' in obj || 'end' in obj) {
    const lo = typeof obj.start === 'string' ? dateRange(obj.start)?.lo : '-infinity';
    const hi = typeof obj.end === 'string' ? dateRange(obj.end)?.hi : 'infinity';
    if (lo && hi) rows.date.push({ param, lo, hi });
    return;
  }
  if ('event' in obj || 'repeat' in obj) {
    for (const e of (obj.event as unknown[]) ?? []) dateValues(rows, def, e);
    const bounds = (obj.repeat as Json | undefined)?.boundsPeriod;
    if (bounds) dateValues(rows, def, bounds);
  }
}

function addValue(rows: IndexRows, def: SearchParamDef, value: unknown, baseUrl: string): void {
  switch (def.type) {
    case 'string':
      return stringValues(rows, def, value);
    case 'token':
      return tokenValues(rows, def, value);
    case 'reference':
      return referenceValues(rows, def, value, baseUrl);
    case 'date':
      return dateValues(rows, def, value);
    case 'number':
      if (typeof value === 'number') rows.number.push({ param: def.code, ...numberRange(value) });
      return;
    case 'quantity':
      return quantityValues(rows, def, value);
    case 'uri':
      if (typeof value === 'string') rows.uri.push({ param: def.code, value });
      return;
  }
}

/**
 * A composite parameter indexes each component of each item under `code#item.component`, in the
 * component's own table; a search joins the components that share `code#item.`.
 */
export function compositeParam(code: string, item: number, component: number): string {
  return `${code}#${item}.${component}`;
}

function compositeValues(registry: SearchParamRegistry, rows: IndexRows, def: SearchParamDef, items: unknown[], baseUrl: string): void {
  const components = registry.componentsOf(def);
  if (!components) return;
  items.forEach((item, k) => {
    components.forEach((c, i) => {
      const sub: SearchParamDef = { ...def, type: c.type, code: compositeParam(def.code, k, i) };
      for (const v of c.extract(item as Json)) addValue(rows, sub, v, baseUrl);
    });
  });
}

export function indexResource(registry: SearchParamRegistry, resource: Json, baseUrl: string): IndexRows {
  const rows = emptyRows();
  for (const def of registry.indexed(resource.resourceType as string)) {
    const values = def.extract!(resource);
    if (def.type === 'composite') compositeValues(registry, rows, def, values, baseUrl);
    else for (const value of values) addValue(rows, def, value, baseUrl);
  }
  return rows;
}

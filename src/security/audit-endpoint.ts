// AuditEvent served read-only from the audit log (FHIR R4 §3.1.0 read/vread/search, AuditEvent search parameters §6.4.7).
import { bundleText, pageLinks } from '../fhir/bundle/searchset';
import { errors } from '../fhir/errors';
import type { HubContext, TypeBackend } from '../fhir/hub-context';
import { assertId } from '../fhir/interactions/body';
import { preferLenient, type FhirRequest, type FhirResponse } from '../fhir/request';
import { dateRange } from '../fhir/search/dates';
import { splitValues, unescape } from '../fhir/search/parse';
import { splitPrefix } from '../fhir/search/prefix';
import { findAuditRow, searchAuditLog, type AuditCriterion, type AuditRow, type AuditSearch } from '../store/audit-log';
import { renderAuditEvent } from './audit-event';
import { securityErrors } from './security-errors';

type Handler = (ctx: HubContext, req: FhirRequest) => Promise<FhirResponse>;

function content(ctx: HubContext, row: AuditRow): string {
  return row.legacyContent ?? JSON.stringify(renderAuditEvent(row.entry, row.id, ctx.config.baseUrl));
}

/** Tells the audit trail what was served: audit rows carry their own patients. */
function note(ctx: HubContext, rows: AuditRow[]): void {
  ctx.guard?.noteReturned(rows.map((r) => ({ resType: 'AuditEvent', id: r.id, patients: r.entry.patients })));
}

const read: Handler = async (ctx, req) => {
  const id = req.path[1];
  assertId(id);
  const found = await findAuditRow(ctx.db, id, ctx.guard?.access());
  if (!found) throw errors.notFound(`AuditEvent/${id} does not exist`);
  if (!found.allowed) throw securityErrors.forbidden(`Access to AuditEvent/${id} is refused: it concerns no patient you have a care relationship with`);
  // Only version 1 exists: the log is append-only.
  if (req.path.length === 4 && req.path[3] !== '1') throw errors.notFound(`AuditEvent/${id} has no version "${req.path[3]}"`);
  note(ctx, [found.row]);
  const text = content(ctx, found.row);
  const headers = { ETag: 'W/"1"', 'Last-Modified': new Date(found.row.entry.recorded).toUTCString() };
  if (req.path.length === 3) {
    const entry = { fullUrl: `${ctx.config.baseUrl}/AuditEvent/${id}`, content: text, request: { method: 'POST', url: 'AuditEvent' }, response: { status: '201', etag: 'W/"1"' } };
    return { status: 200, json: bundleText('history', { self: `${ctx.config.baseUrl}/AuditEvent/${id}/_history` }, [entry], 1), headers: {} };
  }
  return { status: 200, json: text, headers };
};

const REFERENCE_PARAMS: Record<string, 'patient' | 'entity' | 'agent'> = { patient: 'patient', entity: 'entity', agent: 'agent' };
const TOKEN_PARAMS: Record<string, 'subtype' | 'outcome' | 'action' | 'altid'> = { subtype: 'subtype', outcome: 'outcome', action: 'action', altid: 'altid' };
const IGNORED = new Set(['_format', '_pretty']);

/** `Type/id`, `id` or an absolute reference on this hub → Type/id (or the bare id for patient). */
function reference(ctx: HubContext, name: string, raw: string): string {
  let v = unescape(raw);
  if (v.startsWith(ctx.config.baseUrl + '/')) v = v.slice(ctx.config.baseUrl.length + 1);
  if (name === 'patient') return v.startsWith('Patient/') ? v.slice(8) : v;
  return v;
}

/** A token's code: `system|code` or `code`; the system is not stored, the codes are unambiguous per parameter. */
const code = (raw: string) => unescape(raw.includes('|') ? raw.slice(raw.lastIndexOf('|') + 1) : raw);

function parseAuditSearch(ctx: HubContext, req: FhirRequest, params: [string, string][]): AuditSearch & { canonical: [string, string][]; summary?: string; elements?: string[] } {
  const s: ReturnType<typeof parseAuditSearch> = { criteria: [], count: ctx.config.defaultPageSize, offset: 0, withCount: true, withPage: true, canonical: [] };
  for (const [rawName, raw] of params) {
    const [name, modifier] = rawName.split(':');
    if (IGNORED.has(name)) continue;
    const values = splitValues(raw);
    const criterion = (c: AuditCriterion) => (s.criteria.push(c), s.canonical.push([rawName, raw]));
    if (modifier && !(name in REFERENCE_PARAMS && /^[A-Z]/.test(modifier))) throw errors.badRequest(`Modifier ":${modifier}" is not supported on AuditEvent parameter "${name}"`, rawName, 'HUB-0425');
    if (name === '_count' || name === '_offset') {
      if (!/^\d+$/.test(raw)) throw errors.badRequest(`Parameter ${name} must be a whole number, got "${raw}"`, name, 'HUB-0420');
      if (name === '_count') s.count = Math.min(Number(raw), ctx.config.maxPageSize);
      else s.offset = Number(raw);
      if (name === '_count') s.canonical.push([name, raw]);
    } else if (name === '_sort') {
      const key = raw.replace(/^-/, '');
      if (key !== 'date' && key !== '_lastUpdated') throw errors.badRequest(`AuditEvent sorts by date or _lastUpdated, not "${raw}"`, '_sort', 'HUB-0423');
      s.sort = raw.startsWith('-') ? '-recorded' : 'recorded';
      s.canonical.push([name, raw]);
    } else if (name === '_total') {
      s.withCount = raw !== 'none';
      s.canonical.push([name, raw]);
    } else if (name === '_summary' || name === '_elements') {
      if (name === '_summary') s.summary = raw;
      else s.elements = raw.split(',').map((e) => e.trim());
      s.canonical.push([name, raw]);
    } else if (name === '_include' || name === '_revinclude' || name.startsWith('_include') || name.startsWith('_revinclude') || name === '_has') {
      throw errors.badRequest(`${name} is not supported on AuditEvent, which is served from the audit log`, name, 'HUB-0421');
    } else if (raw === '') {
      if (!preferLenient(req)) throw errors.badRequest(`Search parameter "${rawName}" has an empty value`, rawName, 'HUB-0422');
    } else if (name in REFERENCE_PARAMS) {
      criterion({ on: REFERENCE_PARAMS[name], values: values.map((v) => (modifier && !v.includes('/') ? `${modifier}/${v}` : v)).map((v) => reference(ctx, name, v)) });
    } else if (name in TOKEN_PARAMS) {
      criterion({ on: TOKEN_PARAMS[name], values: values.map(code) });
    } else if (name === '_id') {
      criterion({ on: 'id', values: values.map(unescape) });
    } else if (name === 'type') {
      // Every event of the hub is a RESTful operation.
      if (!values.map(code).includes('rest')) criterion({ on: 'none' });
      else s.canonical.push([rawName, raw]);
    } else if (name === 'date' || name === '_lastUpdated') {
      const ranges = values.map((v) => {
        const { prefix, rest } = splitPrefix(v);
        const r = dateRange(rest);
        if (!r) throw errors.badRequest(`Invalid value "${v}" for search parameter "${name}": expected a date, optionally prefixed`, name, 'HUB-0424');
        return { prefix, lo: r.lo, hi: r.hi };
      });
      criterion({ on: 'date', ranges });
    } else if (!preferLenient(req)) {
      throw errors.badRequest(`Unknown search parameter "${rawName}" for AuditEvent (the audit log searches patient, date, agent, entity, type, subtype, action, outcome, altid, _id)`, rawName, 'HUB-0421');
    }
  }
  // _count=0 asks for the total alone, like _summary=count.
  if (s.summary === 'count' || s.count === 0) s.withPage = false;
  return s;
}

function search(compartmentPatient?: string): Handler {
  return async (ctx, req) => {
    const s = parseAuditSearch(ctx, req, req.params);
    if (compartmentPatient !== undefined) {
      assertId(compartmentPatient);
      s.criteria.push({ on: 'patient', values: [compartmentPatient] });
    }
    const result = await searchAuditLog(ctx.db, { ...s, access: ctx.guard?.access() });
    note(ctx, result.rows);
    const base = ctx.config.baseUrl;
    const self = compartmentPatient !== undefined ? `${base}/Patient/${compartmentPatient}/AuditEvent` : `${base}/AuditEvent`;
    const entries = result.rows.map((r) => ({ fullUrl: `${base}/AuditEvent/${r.id}`, content: content(ctx, r), search: { mode: 'match' as const } }));
    const links = pageLinks(self, s.canonical, s.offset, s.count, result.hasMore);
    return { status: 200, json: bundleText('searchset', links, entries, result.total, { summary: s.summary === 'count' ? undefined : s.summary, elements: s.elements }), headers: {} };
  };
}

/** Type-level history: every event once, as its creation, newest first (_since, _count, _offset). */
const typeHistory: Handler = async (ctx, req) => {
  const params: [string, string][] = [['_sort', '-date']];
  for (const [k, v] of req.params) {
    if (k === '_since') params.push(['date', `ge${v}`]);
    else if (k === '_count' || k === '_offset') params.push([k, v]);
    else if (!IGNORED.has(k)) throw errors.badRequest(`AuditEvent history takes _since, _count and _offset, not "${k}"`, k, 'HUB-0451');
  }
  const s = parseAuditSearch(ctx, req, params);
  const result = await searchAuditLog(ctx.db, { ...s, access: ctx.guard?.access() });
  note(ctx, result.rows);
  const base = ctx.config.baseUrl;
  const entries = result.rows.map((r) => ({
    fullUrl: `${base}/AuditEvent/${r.id}`,
    content: content(ctx, r),
    request: { method: 'POST', url: 'AuditEvent' },
    response: { status: '201', etag: 'W/"1"', lastModified: r.entry.recorded },
  }));
  const links = pageLinks(`${base}/AuditEvent/_history`, req.params.filter(([k]) => k !== '_offset' && k !== '_count'), s.offset, s.count, result.hasMore);
  return { status: 200, json: bundleText('history', links, entries, result.total), headers: {} };
};

const readOnly: Handler = async () => {
  throw errors.methodNotAllowed('AuditEvents are written by the hub alone: the audit log is read-only');
};

const R4 = 'http://hl7.org/fhir/SearchParameter/AuditEvent-';
const SEARCH_PARAMS: [string, string][] = [
  ['patient', 'reference'], ['entity', 'reference'], ['agent', 'reference'], ['date', 'date'], ['type', 'token'],
  ['subtype', 'token'], ['action', 'token'], ['outcome', 'token'], ['altid', 'token'],
];

/** The AuditEvent type's backend: reads and searches from audit_log, writes refused, operations left to the generic routes. */
export const auditEventBackend: TypeBackend = {
  capability: {
    versioning: 'no-version',
    updateCreate: false,
    conditionalCreate: false,
    conditionalUpdate: false,
    conditionalDelete: 'not-supported',
    interaction: (['read', 'vread', 'history-instance', 'history-type', 'search-type'] as const).map((code) => ({ code })),
    // Not supported on AuditEvent: absent (FHIR JSON has no empty arrays).
    searchInclude: undefined,
    searchRevInclude: undefined,
    searchParam: [
      { name: '_id', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
      { name: '_lastUpdated', type: 'date', definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated' },
      ...SEARCH_PARAMS.map(([name, type]) => ({ name, type: type as 'token', definition: `${R4}${name}` })),
    ],
  },
  route(req) {
    const p = req.path;
    const m = req.method === 'HEAD' ? 'GET' : req.method;
    if (p[0] !== 'AuditEvent') return p.length === 3 && p[0] === 'Patient' && m === 'GET' ? search(p[1]) : p.length === 4 && p[0] === 'Patient' && p[3] === '_search' && m === 'POST' ? search(p[1]) : undefined;
    if (p.some((s) => s.startsWith('$'))) return undefined;
    if (p.length === 1) return m === 'GET' ? search() : readOnly;
    if (p.length === 2 && p[1] === '_search') return m === 'POST' ? search() : undefined;
    if (p.length === 2 && p[1] === '_history') return m === 'GET' ? typeHistory : undefined;
    if (p.length === 2) return m === 'GET' ? read : readOnly;
    if (p[2] === '_history' && p.length <= 4 && m === 'GET') return read;
    return undefined;
  },
};

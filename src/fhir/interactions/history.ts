// history (FHIR R4 §3.1.0.10): instance, type and system, with _count, _since, _at and paging links.
import type { Queryable } from '../../store/db';
import { queryHistory, type HistoryScope } from '../../store/history';
import { readCurrent } from '../../store/resource-store';
import { bundleText, pageLinks } from '../bundle/searchset';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import type { FhirRequest, FhirResponse } from '../request';
import { dateRange } from '../search/dates';
import { etag } from '../versioning';
import { assertId, assertResourceType } from './body';

const ALLOWED = new Set(['_count', '_since', '_at', '_offset', '_asof', '_format', '_pretty']);

function instantParam(name: string, value: string) {
  const r = dateRange(value);
  if (!r) throw errors.badRequest(`${name} must be a date or instant, got "${value}"`, name, 'HUB-0450');
  return r;
}

export async function history(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const scope: HistoryScope = {};
  const segments = req.path.slice(0, req.path.indexOf('_history'));
  if (segments.length >= 1) (assertResourceType(segments[0]), (scope.resType = segments[0]));
  if (segments.length >= 2) (assertId(segments[1]), (scope.id = segments[1]));
  const q = tx ?? ctx.db;
  if (scope.id && !(await readCurrent(q, scope.resType!, scope.id))) throw errors.notFound(`${scope.resType}/${scope.id} does not exist`);
  const params = new Map<string, string>();
  for (const [k, v] of req.params) {
    if (!ALLOWED.has(k)) throw errors.badRequest(`History does not take the parameter "${k}"`, k, 'HUB-0451');
    params.set(k, v);
  }
  const count = Math.min(Number(params.get('_count') ?? ctx.config.defaultPageSize), ctx.config.maxPageSize);
  const offset = Number(params.get('_offset') ?? 0);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(offset) || offset < 0) {
    throw errors.badRequest('_count must be a positive whole number and _offset a whole number', '_count', 'HUB-0452');
  }
  const until = params.has('_asof') ? instantParam('_asof', params.get('_asof')!).hi : new Date().toISOString();
  const since = params.has('_since') ? instantParam('_since', params.get('_since')!).lo : undefined;
  const at = params.has('_at') ? instantParam('_at', params.get('_at')!) : undefined;
  // Type and system level: only versions of resources the caller may see (an instance was checked by the guard).
  const access = scope.id ? undefined : ctx.guard?.access();
  const { rows, total } = await queryHistory(q, scope, { since, atLo: at?.lo, atHi: at?.hi, until, count, offset }, access);
  if (!scope.id) ctx.guard?.noteReturned(rows.map((r) => ({ rid: r.rid, resType: r.resType, id: r.id })));
  const base = ctx.config.baseUrl;
  const linkParams: [string, string][] = [...params.entries()].filter(([k]) => k !== '_offset' && k !== '_asof' && k !== '_format');
  linkParams.push(['_asof', until]);
  const url = [base, ...segments, '_history'].join('/');
  const links = pageLinks(url, linkParams, offset, count, offset + rows.length < total);
  const entries = rows.map((r) => ({
    fullUrl: `${base}/${r.resType}/${r.id}`,
    content: r.content ?? undefined,
    request: { method: r.method === 'delete' ? 'DELETE' : r.method === 'create' ? 'POST' : 'PUT', url: r.method === 'create' ? r.resType : `${r.resType}/${r.id}` },
    response: { status: r.method === 'delete' ? '204' : r.method === 'create' ? '201' : '200', etag: etag(r.version), lastModified: r.lastUpdated },
  }));
  return { status: 200, json: bundleText('history', links, entries, total), headers: {} };
}

// GET [base]/Communication/$inbox (issue 8): the messages delivered to the caller, unread first, then newest first.
// One SQL statement gives the page and its total (docs/messaging.md, "The inbox query").
import { bundleText, pageLinks, type BundleEntryText } from '../../fhir/bundle/searchset';
import { errors } from '../../fhir/errors';
import type { HubContext } from '../../fhir/hub-context';
import { param, type FhirRequest, type FhirResponse } from '../../fhir/request';
import type { AccessRule } from '../../store/access-sql';
import type { Queryable } from '../../store/db';
import { SqlParams } from '../../store/sql-builder';
import { inboxAccess } from './inbox-access';
import { messageCaller } from './message-caller';

export const READ_AT_EXTENSION = 'https://fhir-hub.fr/ig/StructureDefinition/message-read-at';
const DEFAULT_COUNT = 50;
const MAX_COUNT = 200;

export interface InboxQuery {
  recipients: string[];
  count: number;
  offset: number;
  unread?: boolean;
  patient?: string;
}

interface InboxRow {
  rid: number;
  id: string;
  content: string;
  read_at: Date | string | null;
  total: number;
}

function wholeNumber(req: FhirRequest, name: string, fallback: number, min: number): number {
  const raw = param(req, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw errors.badRequest(`${name} must be a whole number ≥ ${min}, got "${raw}"`, name, 'HUB-0420');
  return Number(raw);
}

export function inboxQuery(ctx: HubContext, req: FhirRequest): InboxQuery {
  const { recipients } = messageCaller(ctx, req, true);
  const unreadRaw = param(req, 'unread');
  if (unreadRaw !== undefined && unreadRaw !== 'true' && unreadRaw !== 'false') throw errors.badRequest(`unread is true or false, got "${unreadRaw}"`, 'unread', 'HUB-0832');
  const patientRaw = param(req, 'patient');
  const patient = patientRaw?.replace(/^Patient\//, '');
  if (patient !== undefined && !/^[A-Za-z0-9\-.]{1,64}$/.test(patient)) throw errors.badRequest(`patient must be Patient/[id], got "${patientRaw}"`, 'patient', 'HUB-0833');
  return {
    recipients,
    count: Math.min(wholeNumber(req, '_count', DEFAULT_COUNT, 1), MAX_COUNT),
    offset: wholeNumber(req, '_offset', 0, 0),
    unread: unreadRaw === undefined ? undefined : unreadRaw === 'true',
    patient,
  };
}

/**
 * The caller's deliveries grouped per message (a message reaching them as practitioner and through their
 * organization appears once; it is read once every one of their rows is), joined to the current resource under
 * the caller's access rule. The grouping reads the inbox index for the caller's recipients only.
 */
export function inboxSql(q: InboxQuery, rule: AccessRule | undefined, withPage: boolean): { sql: string; values: unknown[] } {
  const p = new SqlParams();
  const access = inboxAccess(p, rule);
  const conds = ['NOT r.deleted', access.condition('m.patient')];
  if (q.unread !== undefined) conds.push(q.unread ? 'NOT m.read' : 'm.read');
  if (q.patient !== undefined) conds.push(`m.patient = ${p.bind(q.patient)}`);
  const mine = `SELECT d.rid, bool_and(d.read_at IS NOT NULL) AS read, max(d.read_at) AS read_at, max(d.sent) AS sent, max(d.patient) AS patient
      FROM message_delivery d WHERE d.recipient = ANY(${p.bind(q.recipients)}::text[]) GROUP BY d.rid`;
  const with_ = `WITH ${[...access.ctes, `mine AS MATERIALIZED (${mine})`].join(', ')}`;
  const from = `FROM mine m JOIN resource r ON r.rid = m.rid WHERE ${conds.join(' AND ')}`;
  if (!withPage) return { sql: `${with_} SELECT count(*)::int AS total ${from}`, values: p.values };
  // The page is chosen on row ids; the stored JSON is read for its rows only, not carried through the sort.
  const page = `SELECT m.rid, m.read, m.read_at, m.sent, count(*) OVER ()::int AS total ${from}
      ORDER BY m.read, m.sent DESC, m.rid DESC LIMIT ${p.bind(q.count)} OFFSET ${p.bind(q.offset)}`;
  return {
    sql: `${with_}, page AS MATERIALIZED (${page})
      SELECT r.rid, r.id, r.content, CASE WHEN g.read THEN g.read_at END AS read_at, g.total
        FROM page g JOIN resource r ON r.rid = g.rid ORDER BY g.read, g.sent DESC, g.rid DESC`,
    values: p.values,
  };
}

export async function inboxOperation(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const query = inboxQuery(ctx, req);
  const db = tx ?? ctx.db;
  const rule = ctx.guard?.access();
  const page = inboxSql(query, rule, true);
  const rows = (await db.query<InboxRow>(page.sql, page.values)).rows;
  let total = rows[0]?.total ?? 0;
  // Past the last page the window count has no row to ride on: ask for the total alone.
  if (rows.length === 0 && query.offset > 0) {
    const count = inboxSql(query, rule, false);
    total = Number((await db.query<{ total: number }>(count.sql, count.values)).rows[0]?.total ?? 0);
  }
  ctx.guard?.noteReturned(rows.map((r) => ({ rid: Number(r.rid), resType: 'Communication', id: r.id })));
  const entries = rows.map((r) => {
    const entry: BundleEntryText & { extension?: unknown[] } = { fullUrl: `${ctx.config.baseUrl}/Communication/${r.id}`, content: r.content, search: { mode: 'match' } };
    if (r.read_at) entry.extension = [{ url: READ_AT_EXTENSION, valueDateTime: new Date(r.read_at).toISOString() }];
    return entry;
  });
  const links = pageLinks(`${ctx.config.baseUrl}/Communication/$inbox`, req.params, query.offset, query.count, query.offset + rows.length < total);
  return { status: 200, json: bundleText('searchset', links, entries, total), headers: {} };
}

// History queries: instance, type and system level, newest first, with _since, _at and a fixed snapshot.
import { accessCondition, type AccessRule } from './access-sql';
import type { Queryable } from './db';
import { SqlParams } from './sql-builder';

export interface HistoryScope {
  resType?: string;
  id?: string;
}

export interface HistoryFilter {
  since?: string;
  /** Versions current at some point in [atLo, atHi]. */
  atLo?: string;
  atHi?: string;
  /** Upper bound fixed by the first page so later pages do not shift. */
  until: string;
  count: number;
  offset: number;
}

export interface HistoryRow {
  rid: number;
  resType: string;
  id: string;
  version: number;
  lastUpdated: string;
  deleted: boolean;
  method: string;
  content: string | null;
}

/**
 * `access`: the caller's restriction (type and system level). A version is listed when the resource it is a
 * version of may be seen now — judged, like every access decision, on the current version's index rows; so
 * a deleted resource of patient data, which has none, is not listed to a caller bound to a care relationship.
 */
export async function queryHistory(q: Queryable, scope: HistoryScope, f: HistoryFilter, access?: AccessRule): Promise<{ rows: HistoryRow[]; total: number }> {
  const p = new SqlParams();
  const conds = [`h.last_updated <= ${p.bind(f.until)}::timestamptz`];
  if (access) conds.push(`EXISTS (SELECT 1 FROM resource r WHERE r.rid = h.rid AND ${accessCondition(p, access, 'r', scope.resType)})`);
  if (scope.resType && scope.id) conds.push(`h.rid = (SELECT rid FROM resource WHERE res_type = ${p.bind(scope.resType)} AND id = ${p.bind(scope.id)})`);
  else if (scope.resType) conds.push(`h.res_type = ${p.bind(scope.resType)}`);
  if (f.since) conds.push(`h.last_updated >= ${p.bind(f.since)}::timestamptz`);
  if (f.atLo && f.atHi) {
    conds.push(`h.last_updated <= ${p.bind(f.atHi)}::timestamptz`);
    conds.push(
      `NOT EXISTS (SELECT 1 FROM resource_history n WHERE n.rid = h.rid AND n.version > h.version AND n.last_updated < ${p.bind(f.atLo)}::timestamptz)`,
    );
  }
  const where = conds.join(' AND ');
  const total = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource_history h WHERE ${where}`, p.values);
  const rows = await q.query<HistoryRow & { lastUpdated: Date | string }>(
    `SELECT h.rid, h.res_type AS "resType", h.id, h.version, h.last_updated AS "lastUpdated", h.deleted, h.method, h.content
       FROM resource_history h WHERE ${where}
      ORDER BY h.last_updated DESC, h.rid DESC, h.version DESC LIMIT ${p.bind(f.count)} OFFSET ${p.bind(f.offset)}`,
    p.values,
  );
  return {
    total: Number(total.rows[0].n),
    rows: rows.rows.map((r) => ({ ...r, rid: Number(r.rid), version: Number(r.version), lastUpdated: new Date(r.lastUpdated).toISOString() })),
  };
}

// History queries: instance, type and system level, newest first, with _since, _at and a fixed snapshot.
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
  resType: string;
  id: string;
  version: number;
  lastUpdated: string;
  deleted: boolean;
  method: string;
  content: string | null;
}

export async function queryHistory(q: Queryable, scope: HistoryScope, f: HistoryFilter): Promise<{ rows: HistoryRow[]; total: number }> {
  const p = new SqlParams();
  const conds = [`h.last_updated <= ${p.bind(f.until)}::timestamptz`];
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
    `SELECT h.res_type AS "resType", h.id, h.version, h.last_updated AS "lastUpdated", h.deleted, h.method, h.content
       FROM resource_history h WHERE ${where}
      ORDER BY h.last_updated DESC, h.rid DESC, h.version DESC LIMIT ${p.bind(f.count)} OFFSET ${p.bind(f.offset)}`,
    p.values,
  );
  return {
    total: Number(total.rows[0].n),
    rows: rows.rows.map((r) => ({ ...r, version: Number(r.version), lastUpdated: new Date(r.lastUpdated).toISOString() })),
  };
}

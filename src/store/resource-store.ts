// Versioned resource storage: current row, history row, index rows and outbox event, written together.
import type { Queryable } from './db';
import { addIndexDeletes, addIndexInserts, addPendingIndexInserts } from './index-writer';
import { StatementBatch } from './statement-batch';
import type { IndexRows } from '../fhir/search/index-values';

export interface StoredVersion {
  rid: number;
  resType: string;
  id: string;
  version: number;
  lastUpdated: string;
  deleted: boolean;
  /** The resource JSON as stored (meta included); null for deletions. */
  content: string | null;
}

export type WriteMethod = 'create' | 'update' | 'delete';

export interface VersionWrite {
  /** Known rid for updates and deletes of existing rows; absent for creates. */
  rid?: number;
  resType: string;
  id: string;
  version: number;
  lastUpdated: string;
  method: WriteMethod;
  content: string | null;
  rows: IndexRows | null;
}

const COLUMNS = 'rid, res_type AS "resType", id, version, last_updated AS "lastUpdated", deleted, content';

function toVersion(row: Record<string, unknown>): StoredVersion {
  const lu = row.lastUpdated;
  return {
    rid: Number(row.rid),
    resType: String(row.resType),
    id: String(row.id),
    version: Number(row.version),
    lastUpdated: lu instanceof Date ? lu.toISOString() : new Date(String(lu)).toISOString(),
    deleted: Boolean(row.deleted),
    content: (row.content as string | null) ?? null,
  };
}

export async function readCurrent(q: Queryable, resType: string, id: string, forUpdate = false): Promise<StoredVersion | undefined> {
  const sql = `SELECT ${COLUMNS} FROM resource WHERE res_type = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`;
  const r = await q.query(sql, [resType, id]);
  return r.rows[0] ? toVersion(r.rows[0]) : undefined;
}

export async function readCurrentByRids(q: Queryable, rids: number[]): Promise<StoredVersion[]> {
  if (rids.length === 0) return [];
  const r = await q.query(`SELECT ${COLUMNS} FROM resource WHERE rid = ANY($1::bigint[])`, [rids]);
  const byRid = new Map(r.rows.map((row) => [Number(row.rid), toVersion(row)]));
  return rids.map((rid) => byRid.get(rid)).filter((v): v is StoredVersion => v !== undefined);
}

export async function readVersion(q: Queryable, resType: string, id: string, version: number): Promise<StoredVersion | undefined> {
  const r = await q.query(
    `SELECT h.rid, h.res_type AS "resType", h.id, h.version, h.last_updated AS "lastUpdated", h.deleted, h.content
       FROM resource_history h WHERE h.rid = (SELECT rid FROM resource WHERE res_type = $1 AND id = $2) AND h.version = $3`,
    [resType, id, version],
  );
  return r.rows[0] ? toVersion(r.rows[0]) : undefined;
}

/** Rows of the resources one writeVersions call creates; later parts read their rid from it. */
const CREATED = 'created';

/**
 * Writes versions in bulk, in at most two statements whatever the count: (1) for updates and deletes,
 * the changed current rows and their old index rows; (2) new current rows, history, new index rows and
 * outbox events. Sets `rid` on each write (the caller may read it) and returns the rids in input order.
 */
export async function writeVersions(q: Queryable, writes: VersionWrite[]): Promise<number[]> {
  const creates = writes.filter((w) => w.rid === undefined);
  const updates = writes.filter((w) => w.rid !== undefined);
  if (updates.length > 0) {
    const batch = new StatementBatch();
    batch.add(
      `UPDATE resource r SET version = u.version, last_updated = u.last_updated, deleted = u.deleted, content = u.content
         FROM unnest($1::bigint[], $2::int[], $3::timestamptz[], $4::boolean[], $5::text[]) AS u(rid, version, last_updated, deleted, content)
        WHERE r.rid = u.rid`,
      [
        updates.map((w) => w.rid),
        updates.map((w) => w.version),
        updates.map((w) => w.lastUpdated),
        updates.map((w) => w.method === 'delete'),
        updates.map((w) => w.content),
      ],
    );
    addIndexDeletes(batch, updates.map((w) => w.rid!));
    await batch.run(q);
  }
  const batch = new StatementBatch();
  const withCreates = creates.length > 0;
  if (withCreates) {
    batch.add(
      `INSERT INTO resource (res_type, id, version, last_updated, deleted, content)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[], $5::boolean[], $6::text[])
       RETURNING rid, res_type, id`,
      [
        creates.map((w) => w.resType),
        creates.map((w) => w.id),
        creates.map((w) => w.version),
        creates.map((w) => w.lastUpdated),
        creates.map((w) => w.method === 'delete'),
        creates.map((w) => w.content),
      ],
      CREATED,
    );
  }
  // A new resource's rid is not known yet: rows name it by type and id, and take the rid from CREATED.
  const rid = withCreates ? `COALESCE(u.rid, c.rid)` : 'u.rid';
  const joinCreated = withCreates ? `LEFT JOIN ${CREATED} c ON c.res_type = u.res_type AND c.id = u.id` : '';
  batch.add(
    `INSERT INTO resource_history (rid, res_type, id, version, last_updated, deleted, method, content)
     SELECT ${rid}, u.res_type, u.id, u.version, u.last_updated, u.deleted, u.method, u.content
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::boolean[], $7::text[], $8::text[])
         AS u(rid, res_type, id, version, last_updated, deleted, method, content) ${joinCreated}`,
    [
      writes.map((w) => w.rid ?? null),
      writes.map((w) => w.resType),
      writes.map((w) => w.id),
      writes.map((w) => w.version),
      writes.map((w) => w.lastUpdated),
      writes.map((w) => w.method === 'delete'),
      writes.map((w) => w.method),
      writes.map((w) => w.content),
    ],
  );
  const indexed = writes.filter((w) => w.rows);
  if (withCreates) addPendingIndexInserts(batch, indexed.map((w) => ({ rid: w.rid, resType: w.resType, id: w.id, rows: w.rows! })), CREATED);
  else addIndexInserts(batch, indexed.map((w) => ({ rid: w.rid!, resType: w.resType, rows: w.rows! })));
  batch.add(
    `INSERT INTO outbox (rid, res_type, id, version, action)
     SELECT ${rid}, u.res_type, u.id, u.version, u.action
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[]) AS u(rid, res_type, id, version, action) ${joinCreated}`,
    [writes.map((w) => w.rid ?? null), writes.map((w) => w.resType), writes.map((w) => w.id), writes.map((w) => w.version), writes.map((w) => w.method)],
  );
  const created = await batch.run<{ rid: number; res_type: string; id: string }>(q, withCreates ? `SELECT rid, res_type, id FROM ${CREATED}` : 'SELECT 1');
  const ridOf = new Map(created.map((row) => [`${row.res_type}/${row.id}`, Number(row.rid)]));
  for (const w of creates) w.rid = ridOf.get(`${w.resType}/${w.id}`);
  return writes.map((w) => w.rid!);
}

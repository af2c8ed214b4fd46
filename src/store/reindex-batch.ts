// Rebuilds the search index rows of stored resources, one locked batch per transaction, so the hub can
// keep serving: a concurrent write to a row of the batch waits for the batch to commit.
import type { Db } from './db';
import { deleteIndexRows, insertIndexRows } from './index-writer';
import type { IndexRows } from '../fhir/search/index-values';

export interface ReindexBatch {
  /** Resources reindexed in this batch; 0 when the type is done. */
  count: number;
  lastRid: number;
}

export async function countCurrent(db: Db, resType: string): Promise<number> {
  const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource WHERE res_type = $1 AND NOT deleted', [resType]);
  return Number(r.rows[0].n);
}

/** Types that have current resources, in name order. */
export async function storedTypes(db: Db): Promise<string[]> {
  const r = await db.query<{ t: string }>('SELECT DISTINCT res_type AS t FROM resource WHERE NOT deleted ORDER BY 1');
  return r.rows.map((row) => row.t);
}

export async function reindexBatch(db: Db, resType: string, afterRid: number, size: number, index: (content: string) => IndexRows): Promise<ReindexBatch> {
  return db.transaction(async (tx) => {
    const r = await tx.query<{ rid: number; content: string }>(
      'SELECT rid, content FROM resource WHERE res_type = $1 AND rid > $2 AND NOT deleted ORDER BY rid LIMIT $3 FOR UPDATE',
      [resType, afterRid, size],
    );
    if (r.rows.length === 0) return { count: 0, lastRid: afterRid };
    const rids = r.rows.map((row) => Number(row.rid));
    await deleteIndexRows(tx, rids);
    await insertIndexRows(tx, r.rows.map((row) => ({ rid: Number(row.rid), resType, rows: index(row.content) })));
    return { count: rids.length, lastRid: rids[rids.length - 1] };
  });
}

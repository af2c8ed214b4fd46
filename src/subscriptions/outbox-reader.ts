// Reads change events from the outbox in order (DESIGN "Events and subscriptions"), never skipping an event still being committed.
import type { Queryable } from '../store/db';

export interface OutboxEvent {
  seq: number;
  rid: number;
  resType: string;
  id: string;
  version: number;
  action: 'create' | 'update' | 'delete';
  at: string;
}

/**
 * Sequence numbers are taken before commit, so a later number can become visible before an earlier one:
 * a hole in the sequence is either a transaction still running or one that rolled back. The reader stops at
 * a hole and remembers the newest transaction id that existed when it first saw it (xmax of a snapshot taken
 * after reading). Once every transaction older than that has ended (snapshot xmin >= that xmax), the hole can
 * no longer be filled and is skipped. Writers take their sequence number after their first row write (the
 * resource row), so they hold a transaction id by then.
 */
export class OutboxHoleTracker {
  private hole?: { from: number; xmax: bigint };

  settled(from: number, xmin: bigint, xmax: bigint): boolean {
    if (this.hole && this.hole.from === from) {
      if (xmin >= this.hole.xmax) {
        this.hole = undefined;
        return true;
      }
      return false;
    }
    this.hole = { from, xmax };
    return false;
  }
}

function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
}

/** The events after `afterSeq` that are safe to process, in order, and the new cursor position. */
export async function readOutbox(q: Queryable, afterSeq: number, limit: number, holes: OutboxHoleTracker): Promise<{ events: OutboxEvent[]; cursor: number }> {
  const r = await q.query<Record<string, unknown>>(
    `SELECT seq, rid, res_type, id, version, action, at FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2`,
    [afterSeq, limit],
  );
  if (r.rows.length === 0) return { events: [], cursor: afterSeq };
  const snap = await q.query<{ xmin: string; xmax: string }>(
    `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`,
  );
  const xmin = BigInt(snap.rows[0].xmin);
  const xmax = BigInt(snap.rows[0].xmax);
  const events: OutboxEvent[] = [];
  let cursor = afterSeq;
  for (const row of r.rows) {
    const seq = Number(row.seq);
    if (seq !== cursor + 1 && !holes.settled(cursor + 1, xmin, xmax)) break;
    events.push({
      seq,
      rid: Number(row.rid),
      resType: String(row.res_type),
      id: String(row.id),
      version: Number(row.version),
      action: String(row.action) as OutboxEvent['action'],
      at: iso(row.at),
    });
    cursor = seq;
  }
  return { events, cursor };
}

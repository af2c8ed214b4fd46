// Which queued notifications a process may deliver (DESIGN "Events and subscriptions"): heads claimed with SKIP
// LOCKED and a lease; the events after a claimed head belong to the claimer until the lease ends.
import type { HubContext } from '../fhir/hub-context';

export interface NotificationRow {
  sub_id: string;
  event_number: number;
  res_type: string;
  res_id: string;
  version: number;
  action: 'create' | 'update' | 'delete';
  occurred_at: Date | string;
  attempts: number;
  first_attempt_at: Date | string | null;
  /** The resource at that version, when the payload needs it. */
  content?: string | null;
}

const numeric = (row: NotificationRow): NotificationRow => ({ ...row, event_number: Number(row.event_number), version: Number(row.version), attempts: Number(row.attempts) });

/**
 * Claims the head (lowest pending event) of each given subscription when it is due and not leased: row locks with
 * SKIP LOCKED make two processes claim disjoint rows, and the lease (claimed_until) keeps the head — and so every
 * later event of that subscription — away from other processes while it is being delivered.
 */
export async function claimHeads(ctx: HubContext, subIds: string[], leaseMs: number, limit: number): Promise<NotificationRow[]> {
  if (subIds.length === 0) return [];
  const r = await ctx.db.query<NotificationRow>(
    `WITH heads AS (
       SELECT DISTINCT ON (sub_id) sub_id, event_number FROM subscription_notification
        WHERE state = 'pending' AND sub_id = ANY($1::text[]) ORDER BY sub_id, event_number
     ), due AS (
       SELECT n.sub_id, n.event_number FROM subscription_notification n JOIN heads h USING (sub_id, event_number)
        WHERE n.state = 'pending' AND n.next_attempt_at <= now() AND (n.claimed_until IS NULL OR n.claimed_until < now())
        LIMIT $3 FOR UPDATE OF n SKIP LOCKED
     )
     UPDATE subscription_notification n SET claimed_until = now() + make_interval(secs => $2::double precision)
       FROM due WHERE n.sub_id = due.sub_id AND n.event_number = due.event_number
     RETURNING n.sub_id, n.event_number, n.res_type, n.res_id, n.version, n.action, n.occurred_at, n.attempts, n.first_attempt_at`,
    [subIds, leaseMs / 1000, limit],
  );
  return r.rows.map(numeric);
}

/**
 * The claimed head and the pending events after it, in order, at most `limit`, each with the resource version's
 * content when `withContent`. Only the lease holder calls this, so the rows need no lock of their own.
 */
export async function batchFrom(ctx: HubContext, head: NotificationRow, limit: number, withContent: boolean): Promise<NotificationRow[]> {
  const r = await ctx.db.query<NotificationRow>(
    `SELECT n.sub_id, n.event_number, n.res_type, n.res_id, n.version, n.action, n.occurred_at, n.attempts, n.first_attempt_at,
            CASE WHEN $4::boolean AND n.action <> 'delete' THEN
              (SELECT h.content FROM resource r JOIN resource_history h ON h.rid = r.rid AND h.version = n.version
                WHERE r.res_type = n.res_type AND r.id = n.res_id) END AS content
       FROM subscription_notification n
      WHERE n.sub_id = $1 AND n.state = 'pending' AND n.event_number >= $2
      ORDER BY n.event_number LIMIT $3`,
    [head.sub_id, head.event_number, limit, withContent],
  );
  return r.rows.map(numeric);
}

/** Marks delivered events and logs each attempt, in one statement. */
export async function markDelivered(ctx: HubContext, subId: string, attempts: { eventNumber: number; httpStatus?: number; latencyMs: number }[]): Promise<void> {
  if (attempts.length === 0) return;
  await ctx.db.query(
    `WITH done AS (
       UPDATE subscription_notification SET state = 'delivered', delivered_at = now(), attempts = attempts + 1,
              first_attempt_at = coalesce(first_attempt_at, now()), claimed_until = NULL, last_error = NULL
        WHERE sub_id = $1 AND event_number = ANY($2::bigint[]) RETURNING event_number)
     INSERT INTO subscription_delivery_log (sub_id, kind, event_number, http_status, latency_ms, error)
     SELECT $1, 'event-notification', a.n, a.status, a.latency, NULL FROM unnest($2::bigint[], $3::int[], $4::int[]) AS a(n, status, latency)`,
    [subId, attempts.map((a) => a.eventNumber), attempts.map((a) => a.httpStatus ?? null), attempts.map((a) => a.latencyMs)],
  );
}

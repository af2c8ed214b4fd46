// Subscription status changes (FHIR R4 §2.46.5 status lifecycle: requested → active → error → off) and the delivery log.
import type { Subscription } from '@medplum/fhirtypes';
import type { HubContext } from '../fhir/hub-context';
import { lockCurrent, persistUpdate } from '../fhir/persist';
import type { Queryable } from '../store/db';
import type { SubscriptionStatusCode } from './model';

/**
 * Writes a new version of the Subscription with `status` (and `error` for the error status). With `onlyFromVersion`,
 * nothing happens when the client changed the Subscription in between. Returns true when a version was written.
 */
export async function setSubscriptionStatus(ctx: HubContext, id: string, status: SubscriptionStatusCode, error?: string, onlyFromVersion?: number): Promise<boolean> {
  return ctx.db.transaction(async (tx) => {
    const current = await lockCurrent(tx, 'Subscription', id);
    if (!current || current.deleted || !current.content) return false;
    if (onlyFromVersion !== undefined && current.version !== onlyFromVersion) return false;
    const sub = JSON.parse(current.content) as Subscription;
    if (sub.status === status && (sub.error ?? undefined) === error) return false;
    const next: Subscription = { ...sub, status };
    if (status === 'error' && error) next.error = error.slice(0, 1000);
    else delete next.error;
    const w = await persistUpdate(ctx, tx, next, current, true);
    return w.changed;
  });
}

/** How many events were recorded for the subscription so far (its latest event number; 0 before any). */
export async function eventsSinceStart(q: Queryable, subId: string): Promise<number> {
  const r = await q.query<{ n: number }>(`SELECT events_since_start AS n FROM subscription_state WHERE sub_id = $1`, [subId]);
  return Number(r.rows[0]?.n ?? 0);
}

export type DeliveryKind = 'handshake' | 'heartbeat' | 'event-notification';

export interface DeliveryLogLine {
  subId: string;
  kind: DeliveryKind;
  eventNumber?: number;
  httpStatus?: number;
  latencyMs: number;
  error?: string;
}

export async function logDelivery(q: Queryable, line: DeliveryLogLine): Promise<void> {
  await q.query(
    `INSERT INTO subscription_delivery_log (sub_id, kind, event_number, http_status, latency_ms, error) VALUES ($1, $2, $3, $4, $5, $6)`,
    [line.subId, line.kind, line.eventNumber ?? null, line.httpStatus ?? null, line.latencyMs, line.error ?? null],
  );
}

export interface DeliveryLogEntry {
  at: string;
  kind: DeliveryKind;
  eventNumber?: number;
  httpStatus?: number;
  latencyMs: number;
  error?: string;
}

/** The latest delivery attempts of a subscription, newest first (what its owner may read). */
export async function readDeliveryLog(q: Queryable, subId: string, limit = 100): Promise<DeliveryLogEntry[]> {
  const r = await q.query<Record<string, unknown>>(
    `SELECT at, kind, event_number, http_status, latency_ms, error FROM subscription_delivery_log WHERE sub_id = $1 ORDER BY id DESC LIMIT $2`,
    [subId, Math.max(1, Math.min(limit, 1000))],
  );
  return r.rows.map((row) => ({
    at: row.at instanceof Date ? row.at.toISOString() : new Date(String(row.at)).toISOString(),
    kind: row.kind as DeliveryKind,
    eventNumber: row.event_number == null ? undefined : Number(row.event_number),
    httpStatus: row.http_status == null ? undefined : Number(row.http_status),
    latencyMs: Number(row.latency_ms),
    error: (row.error as string | null) ?? undefined,
  }));
}

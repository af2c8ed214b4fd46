// Durable delivery of queued notifications (DESIGN "Events and subscriptions"): claimed with SKIP LOCKED, in order per subscription, retried with back-off.
import type { Resource } from '@medplum/fhirtypes';
import type { HubContext } from '../fhir/hub-context';
import { logger } from '../logger';
import { readVersion } from '../store/resource-store';
import type { ParsedSubscription } from './model';
import { notificationBundle, type NotificationEvent } from './notification-bundle';
import { nextAttemptAt, type SubscriptionOptions } from './options';
import { bundleCall, criteriaEventCall, sendHttp, timeoutFor } from './rest-hook';
import { setSubscriptionStatus } from './status';
import type { SubscriptionCache } from './subscription-cache';

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
}

const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

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
  return r.rows.map((row) => ({ ...row, event_number: Number(row.event_number), version: Number(row.version), attempts: Number(row.attempts) }));
}

export class NotificationSender {
  private inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: HubContext,
    private readonly cache: SubscriptionCache,
    private readonly options: SubscriptionOptions,
    private readonly onSettled: () => void,
  ) {}

  /** Claims what is due for active subscriptions with nothing in flight here, and starts delivering; returns the count claimed. */
  async pass(): Promise<number> {
    const ready = this.cache.all().filter((s) => s.status === 'active' && s.channelType === 'rest-hook' && !this.inFlight.has(s.id));
    if (ready.length === 0) return 0;
    const leaseMs = Math.max(...ready.map((s) => timeoutFor(s, this.options.requestTimeoutMs))) + 10_000;
    const rows = await claimHeads(this.ctx, ready.map((s) => s.id), leaseMs, this.options.claimBatch);
    for (const row of rows) {
      const run = this.deliver(row)
        .catch((err) => logger.error({ err, subscription: row.sub_id }, 'notification delivery failed unexpectedly'))
        .finally(() => {
          this.inFlight.delete(row.sub_id);
          this.onSettled();
        });
      this.inFlight.set(row.sub_id, run);
    }
    return rows.length;
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async event(sub: ParsedSubscription, row: NotificationRow): Promise<NotificationEvent> {
    const event: NotificationEvent = { eventNumber: row.event_number, timestamp: iso(row.occurred_at), resType: row.res_type, resId: row.res_id, version: row.version, action: row.action };
    const wantsResource = sub.kind === 'topic' ? sub.content === 'full-resource' : Boolean(sub.payloadMime);
    if (wantsResource && row.action !== 'delete') {
      const v = await readVersion(this.ctx.db, row.res_type, row.res_id, row.version);
      if (v?.content) event.resource = JSON.parse(v.content) as Resource;
    }
    return event;
  }

  private async deliver(row: NotificationRow): Promise<void> {
    const sub = this.cache.get(row.sub_id);
    if (!sub || sub.status !== 'active') {
      await this.ctx.db.query(`UPDATE subscription_notification SET claimed_until = NULL WHERE sub_id = $1 AND event_number = $2`, [row.sub_id, row.event_number]);
      return;
    }
    const event = await this.event(sub, row);
    let call;
    if (sub.kind === 'topic') {
      const s = await this.ctx.db.query<{ n: number }>(`SELECT events_since_start AS n FROM subscription_state WHERE sub_id = $1`, [sub.id]);
      const bundle = notificationBundle({ sub, baseUrl: this.ctx.config.baseUrl, status: 'active', type: 'event-notification', eventsSinceStart: Number(s.rows[0]?.n ?? row.event_number), events: [event], content: sub.content });
      call = bundleCall(sub, bundle);
    } else {
      call = criteriaEventCall(sub, event);
    }
    const outcome = await sendHttp(call, sub, timeoutFor(sub, this.options.requestTimeoutMs));
    const logParams = [row.sub_id, row.event_number, outcome.status ?? null, outcome.latencyMs, outcome.error ?? null];
    if (outcome.ok) {
      await this.ctx.db.query(
        `WITH done AS (
           UPDATE subscription_notification SET state = 'delivered', delivered_at = now(), attempts = attempts + 1,
                  first_attempt_at = coalesce(first_attempt_at, now()), claimed_until = NULL, last_error = NULL
            WHERE sub_id = $1 AND event_number = $2 RETURNING sub_id)
         INSERT INTO subscription_delivery_log (sub_id, kind, event_number, http_status, latency_ms, error)
         SELECT $1, 'event-notification', $2, $3, $4, $5`,
        logParams,
      );
      return;
    }
    await this.recordFailure(sub, row, outcome.error ?? 'failed', logParams);
  }

  private async recordFailure(sub: ParsedSubscription, row: NotificationRow, reason: string, logParams: unknown[]): Promise<void> {
    const now = new Date();
    const attempts = row.attempts + 1;
    const first = row.first_attempt_at ? new Date(iso(row.first_attempt_at)) : now;
    const due = nextAttemptAt(this.options.retry, attempts, first, now);
    await this.ctx.db.query(
      `WITH failed AS (
         UPDATE subscription_notification SET attempts = $6, first_attempt_at = $7, last_error = $5, claimed_until = NULL,
                state = CASE WHEN $8::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
                next_attempt_at = coalesce($8::timestamptz, next_attempt_at)
          WHERE sub_id = $1 AND event_number = $2 RETURNING sub_id)
       INSERT INTO subscription_delivery_log (sub_id, kind, event_number, http_status, latency_ms, error)
       SELECT $1, 'event-notification', $2, $3, $4, $5`,
      [...logParams, attempts, first.toISOString(), due ? due.toISOString() : null],
    );
    if (!due) {
      const message = `Delivery of event ${row.event_number} to ${sub.endpoint} failed after ${attempts} attempts: ${reason}. Missed events can be read with $events.`;
      await setSubscriptionStatus(this.ctx, sub.id, 'error', message);
    }
  }
}

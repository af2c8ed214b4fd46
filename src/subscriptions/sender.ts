// Durable delivery of queued notifications (DESIGN "Events and subscriptions"): claimed with SKIP LOCKED, in order per subscription, retried with back-off.
import type { Resource } from '@medplum/fhirtypes';
import type { HubContext } from '../fhir/hub-context';
import { logger } from '../logger';
import { batchFrom, claimHeads, markDelivered, type NotificationRow } from './claims';
import type { ParsedSubscription } from './model';
import { notificationBundle, type NotificationEvent } from './notification-bundle';
import { nextAttemptAt, type SubscriptionOptions } from './options';
import { bundleCall, criteriaEventCall, sendHttp, timeoutFor, type HttpOutcome } from './rest-hook';
import { setSubscriptionStatus } from './status';
import type { SubscriptionCache } from './subscription-cache';

const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

export class NotificationSender {
  private inFlight = new Map<string, Promise<void>>();
  private stopping = false;

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
      const run = this.deliverInTurn(row, leaseMs)
        .catch((err) => logger.error({ err, subscription: row.sub_id }, 'notification delivery failed unexpectedly'))
        .finally(() => {
          this.inFlight.delete(row.sub_id);
          this.onSettled();
        });
      this.inFlight.set(row.sub_id, run);
    }
    return rows.length;
  }

  /**
   * Delivers from the claimed head on, a batch at a time (one Bundle of several events for a topic, one request per
   * event for R4 criteria), and keeps going while deliveries succeed, so a backlog drains at the receiver's pace.
   */
  private async deliverInTurn(head: NotificationRow, leaseMs: number): Promise<void> {
    let row: NotificationRow | undefined = head;
    while (row) {
      const delivered = await this.deliverBatch(row);
      if (!delivered || this.stopping) return;
      [row] = await claimHeads(this.ctx, [row.sub_id], leaseMs, 1);
    }
  }

  async drain(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private event(row: NotificationRow): NotificationEvent {
    const event: NotificationEvent = { eventNumber: row.event_number, timestamp: iso(row.occurred_at), resType: row.res_type, resId: row.res_id, version: row.version, action: row.action };
    if (row.content) event.resource = JSON.parse(row.content) as Resource;
    return event;
  }

  /** True when the whole batch from `head` was taken by the receiver. */
  private async deliverBatch(head: NotificationRow): Promise<boolean> {
    const sub = this.cache.get(head.sub_id);
    if (!sub || sub.status !== 'active') {
      await this.ctx.db.query(`UPDATE subscription_notification SET claimed_until = NULL WHERE sub_id = $1 AND event_number = $2`, [head.sub_id, head.event_number]);
      return false;
    }
    const wantsResource = sub.kind === 'topic' ? sub.content === 'full-resource' : Boolean(sub.payloadMime);
    const rows = await batchFrom(this.ctx, head, this.options.deliveryBatch, wantsResource);
    if (rows.length === 0) return false;
    const timeoutMs = timeoutFor(sub, this.options.requestTimeoutMs);
    if (sub.kind === 'topic') {
      const events = rows.map((r) => this.event(r));
      // Events since start as of this notification: its last event's number (events are numbered from 1, in order).
      const bundle = notificationBundle({ sub, baseUrl: this.ctx.config.baseUrl, status: 'active', type: 'event-notification', eventsSinceStart: rows.at(-1)!.event_number, events, content: sub.content });
      const outcome = await sendHttp(bundleCall(sub, bundle), sub, timeoutMs);
      if (!outcome.ok) return this.recordFailure(sub, rows[0], outcome).then(() => false);
      await markDelivered(this.ctx, sub.id, rows.map((r) => ({ eventNumber: r.event_number, httpStatus: outcome.status, latencyMs: outcome.latencyMs })));
      return true;
    }
    const done: { eventNumber: number; httpStatus?: number; latencyMs: number }[] = [];
    for (const row of rows) {
      const outcome = await sendHttp(criteriaEventCall(sub, this.event(row)), sub, timeoutMs);
      if (!outcome.ok) {
        await markDelivered(this.ctx, sub.id, done);
        await this.recordFailure(sub, row, outcome);
        return false;
      }
      done.push({ eventNumber: row.event_number, httpStatus: outcome.status, latencyMs: outcome.latencyMs });
    }
    await markDelivered(this.ctx, sub.id, done);
    return true;
  }

  private async recordFailure(sub: ParsedSubscription, row: NotificationRow, outcome: HttpOutcome): Promise<void> {
    const reason = outcome.error ?? 'failed';
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
      [row.sub_id, row.event_number, outcome.status ?? null, outcome.latencyMs, reason, attempts, first.toISOString(), due ? due.toISOString() : null],
    );
    if (!due) {
      const message = `Delivery of event ${row.event_number} to ${sub.endpoint} failed after ${attempts} attempts: ${reason}. Missed events can be read with $events.`;
      await setSubscriptionStatus(this.ctx, sub.id, 'error', message);
    }
  }
}

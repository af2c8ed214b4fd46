// Scheduled work (Backport IG "Heartbeats"; DESIGN "Events and subscriptions"): heartbeat notifications and clean-up, with node-cron.
import cron, { type ScheduledTask } from 'node-cron';
import type { HubContext } from '../fhir/hub-context';
import { logger } from '../logger';
import { notificationBundle } from './notification-bundle';
import type { SubscriptionOptions } from './options';
import { bundleCall, sendHttp, timeoutFor } from './rest-hook';
import { logDelivery } from './status';
import type { SubscriptionCache } from './subscription-cache';

/**
 * Sends a heartbeat to each active topic subscription whose heartbeat period has elapsed. The claim (an UPDATE on
 * last_heartbeat_at guarded by the period) lets only one process send each heartbeat.
 */
export async function heartbeatPass(ctx: HubContext, cache: SubscriptionCache, options: SubscriptionOptions): Promise<number> {
  let sent = 0;
  // Websocket heartbeats go out on the sockets (websocket-server.ts).
  const due = cache.all().filter((s) => s.status === 'active' && s.kind === 'topic' && s.channelType === 'rest-hook' && s.heartbeatSeconds && s.heartbeatSeconds > 0);
  await Promise.all(
    due.map(async (sub) => {
      const claim = await ctx.db.query<{ n: number }>(
        `UPDATE subscription_state SET last_heartbeat_at = now()
          WHERE sub_id = $1 AND (last_heartbeat_at IS NULL OR last_heartbeat_at <= now() - make_interval(secs => $2::double precision))
          RETURNING events_since_start AS n`,
        // A little slack so a cron tick a few ms early does not skip a whole period.
        [sub.id, Math.max(0, sub.heartbeatSeconds! - 0.5)],
      );
      if (!claim.rows[0]) return;
      const bundle = notificationBundle({ sub, baseUrl: ctx.config.baseUrl, status: 'active', type: 'heartbeat', eventsSinceStart: Number(claim.rows[0].n), events: [], content: sub.content });
      const outcome = await sendHttp(bundleCall(sub, bundle), sub, timeoutFor(sub, options.requestTimeoutMs));
      await logDelivery(ctx.db, { subId: sub.id, kind: 'heartbeat', httpStatus: outcome.status, latencyMs: outcome.latencyMs, error: outcome.error });
      sent++;
    }),
  );
  return sent;
}

const LIVE = `SELECT r.id FROM resource r WHERE r.res_type = 'Subscription' AND NOT r.deleted`;

/**
 * Removes, past the retention period, delivered and failed notifications, those of deleted subscriptions and of
 * websocket ones (pushed to whoever was bound, never claimed), and log lines; then what deleted subscriptions left.
 */
export async function cleanupPass(ctx: HubContext, options: SubscriptionOptions, websocketIds: string[] = []): Promise<void> {
  const secs = options.retentionMs / 1000;
  await ctx.db.query(
    `DELETE FROM subscription_notification WHERE occurred_at < now() - make_interval(secs => $1::double precision)
       AND (state <> 'pending' OR sub_id NOT IN (${LIVE}) OR sub_id = ANY($2::text[]))`,
    [secs, websocketIds],
  );
  await ctx.db.query(`DELETE FROM subscription_private WHERE sub_id NOT IN (${LIVE})`);
  await ctx.db.query(`DELETE FROM subscription_ws_token WHERE expires_at < now()`);
  await ctx.db.query(`DELETE FROM subscription_delivery_log WHERE at < now() - make_interval(secs => $1::double precision)`, [secs]);
  await ctx.db.query(`DELETE FROM subscription_state WHERE sub_id NOT IN (${LIVE}) AND sub_id NOT IN (SELECT sub_id FROM subscription_notification)`);
}

/** Starts the cron tasks; the returned function stops them. */
export function scheduleMaintenance(ctx: HubContext, cache: SubscriptionCache, options: SubscriptionOptions): () => Promise<void> {
  const running = new Set<Promise<unknown>>();
  const track = (name: string, work: () => Promise<unknown>) => () => {
    const p = work()
      .catch((err) => logger.error({ err }, `subscription ${name} failed`))
      .finally(() => running.delete(p));
    running.add(p);
    return p;
  };
  const tasks: ScheduledTask[] = [
    cron.schedule(options.heartbeatCron, track('heartbeat', () => heartbeatPass(ctx, cache, options)), { name: `subscription-heartbeat-${options.workerId}`, noOverlap: true }),
    cron.schedule(options.cleanupCron, track('clean-up', () => cleanupPass(ctx, options, cache.all().filter((s) => s.channelType === 'websocket').map((s) => s.id))), { name: `subscription-cleanup-${options.workerId}`, noOverlap: true }),
  ];
  return async () => {
    for (const t of tasks) await t.destroy();
    await Promise.allSettled([...running]);
  };
}

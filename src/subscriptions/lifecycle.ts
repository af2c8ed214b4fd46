// Subscription activation (R4 §2.46.5; Backport IG "Handshake"): requested → active after a successful handshake, else error; end → off.
import type { HubContext } from '../fhir/hub-context';
import { parseSearch } from '../fhir/search/parse';
import { logger } from '../logger';
import { channelProblem } from './endpoint-policy';
import { candidatesOf } from './matcher';
import type { ParsedSubscription } from './model';
import { notificationBundle } from './notification-bundle';
import type { SubscriptionOptions } from './options';
import { bundleCall, criteriaHandshakeCall, sendHttp, timeoutFor } from './rest-hook';
import { eventsSinceStart, logDelivery, setSubscriptionStatus } from './status';
import type { SubscriptionCache } from './subscription-cache';
import type { Topic } from './topics';

/** Why the criteria or topic of a subscription cannot be evaluated, or undefined. */
export function criteriaProblem(ctx: HubContext, sub: ParsedSubscription, topics: Map<string, Topic>): string | undefined {
  if (sub.kind === 'topic' && !topics.has(sub.topicUrl ?? '')) return `Unknown subscription topic "${sub.topicUrl ?? ''}"`;
  if (sub.kind === 'criteria' && !sub.resourceType) return 'The subscription has no criteria';
  try {
    for (const c of candidatesOf(sub, topics)) parseSearch(ctx.registry, c.resourceType, c.params, { lenient: false, defaultCount: 1, maxCount: 1 });
  } catch (err) {
    return `Criteria cannot be evaluated: ${(err as Error).message}`;
  }
  return undefined;
}

export class Lifecycle {
  private inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: HubContext,
    private readonly cache: SubscriptionCache,
    private readonly topics: Map<string, Topic>,
    private readonly options: SubscriptionOptions,
  ) {}

  /** Starts handshakes for requested subscriptions and turns expired ones off; does not wait for the handshakes. */
  async pass(): Promise<void> {
    const now = Date.now();
    for (const sub of this.cache.all()) {
      if (this.inFlight.has(sub.id)) continue;
      if (sub.end && Date.parse(sub.end) <= now && sub.status !== 'off') {
        await setSubscriptionStatus(this.ctx, sub.id, 'off', undefined, sub.version);
      } else if (sub.status === 'requested') {
        const run = this.handshake(sub)
          .catch((err) => logger.error({ err, subscription: sub.id }, 'subscription handshake failed'))
          .finally(() => this.inFlight.delete(sub.id));
        this.inFlight.set(sub.id, run);
      }
    }
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async claim(subId: string, leaseMs: number): Promise<boolean> {
    const r = await this.ctx.db.query(
      `UPDATE subscription_state SET handshake_claimed_until = now() + make_interval(secs => $2::double precision)
        WHERE sub_id = $1 AND (handshake_claimed_until IS NULL OR handshake_claimed_until < now()) RETURNING sub_id`,
      [subId, leaseMs / 1000],
    );
    return r.rowCount > 0;
  }

  private async handshake(sub: ParsedSubscription): Promise<void> {
    const timeoutMs = timeoutFor(sub, this.options.requestTimeoutMs);
    if (!(await this.claim(sub.id, timeoutMs + 5_000))) return;
    try {
      // The cache may lag behind: a handshake already done wrote a newer version.
      const v = await this.ctx.db.query<{ version: number }>(`SELECT version FROM resource WHERE res_type = 'Subscription' AND id = $1 AND NOT deleted`, [sub.id]);
      if (Number(v.rows[0]?.version) !== sub.version) return;
      const raw = this.cache.raw(sub.id);
      const problem = (raw && channelProblem(raw, this.options.endpointAllow)) ?? criteriaProblem(this.ctx, sub, this.topics);
      if (problem) {
        await setSubscriptionStatus(this.ctx, sub.id, 'error', problem, sub.version);
        return;
      }
      // A websocket has no endpoint to shake hands with: the binding client gets the handshake on its socket.
      if (sub.channelType === 'websocket') {
        await setSubscriptionStatus(this.ctx, sub.id, 'active', undefined, sub.version);
        return;
      }
      const call =
        sub.kind === 'topic'
          ? bundleCall(sub, notificationBundle({ sub, baseUrl: this.ctx.config.baseUrl, status: 'requested', type: 'handshake', eventsSinceStart: await eventsSinceStart(this.ctx.db, sub.id), events: [], content: sub.content }))
          : criteriaHandshakeCall(sub);
      const outcome = await sendHttp(call, sub, timeoutMs);
      await logDelivery(this.ctx.db, { subId: sub.id, kind: 'handshake', httpStatus: outcome.status, latencyMs: outcome.latencyMs, error: outcome.error });
      if (outcome.ok) await setSubscriptionStatus(this.ctx, sub.id, 'active', undefined, sub.version);
      else await setSubscriptionStatus(this.ctx, sub.id, 'error', `Handshake with ${sub.endpoint} failed: ${outcome.error}`, sub.version);
    } finally {
      await this.ctx.db.query(`UPDATE subscription_state SET handshake_claimed_until = NULL WHERE sub_id = $1`, [sub.id]);
    }
  }
}

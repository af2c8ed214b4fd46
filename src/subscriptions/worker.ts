// The delivery worker (DESIGN "Events and subscriptions"): outbox → matching → queued notifications → rest-hook, polling with wake-ups.
import type { HubContext } from '../fhir/hub-context';
import { logger } from '../logger';
import { WakeTimer } from '../wake-timer';
import { Lifecycle } from './lifecycle';
import { scheduleMaintenance } from './maintenance';
import { matchPass } from './matcher';
import { resolveOptions, type SubscriptionOptions } from './options';
import { OutboxHoleTracker } from './outbox-reader';
import { NotificationSender } from './sender';
import { SubscriptionCache } from './subscription-cache';
import { loadTopics, type Topic } from './topics';
import { listenQueued } from './wakeups';

export interface SubscriptionsHandle {
  /** Stops polling and cron tasks, and waits for deliveries in flight. The database stays open. */
  stop(): Promise<void>;
  /** Runs the next pass now instead of after the poll interval (e.g. after a write in this process). */
  wake(): void;
  readonly topics: Map<string, Topic>;
  readonly options: SubscriptionOptions;
}

export interface StartOptions extends Partial<SubscriptionOptions> {
  /** Topics to use instead of those in profiles/topics/. */
  topics?: Map<string, Topic>;
}

/** Starts matching and delivery for this process. Several processes on one PostgreSQL database cooperate. */
export function startSubscriptions(ctx: HubContext, start: StartOptions = {}): SubscriptionsHandle {
  const { topics: givenTopics, ...partial } = start;
  const options = resolveOptions(partial);
  const topics = givenTopics ?? loadTopics();
  const cache = new SubscriptionCache();
  const holes = new OutboxHoleTracker();
  let stopped = false;
  const timer = new WakeTimer();
  const wake = () => timer.wake();
  const lifecycle = new Lifecycle(ctx, cache, topics, options);
  const sender = new NotificationSender(ctx, cache, options, wake);
  const stopMaintenance = scheduleMaintenance(ctx, cache, options);

  const loop = async () => {
    let failures = 0;
    while (!stopped) {
      let busy = false;
      try {
        await cache.refresh(ctx.db);
        await lifecycle.pass();
        const matched = await matchPass(ctx, cache, topics, holes, options);
        const claimed = await sender.pass();
        busy = matched.events > 0 || claimed > 0;
        failures = 0;
      } catch (err) {
        if (stopped) break;
        failures++;
        logger.error({ err }, 'subscription worker pass failed');
        // Back off on repeated failures (database down) instead of spinning.
        await new Promise((r) => setTimeout(r, Math.min(5_000, options.pollIntervalMs * 2 ** Math.min(failures, 5))));
      }
      if (!busy && !stopped) await timer.sleep(options.pollIntervalMs);
    }
  };
  const running = loop();
  // Another process queued notifications: deliver now rather than at the next poll.
  const unlisten = listenQueued(ctx.db, wake).catch((err) => {
    logger.warn({ err }, 'subscription worker cannot LISTEN; it polls');
    return async () => undefined;
  });

  return {
    topics,
    options,
    wake,
    async stop() {
      stopped = true;
      timer.wake();
      await (await unlisten)();
      await running;
      await stopMaintenance();
      await sender.drain();
      await lifecycle.drain();
    },
  };
}

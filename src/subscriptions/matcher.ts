// Matches outbox events against subscriptions (R4 §2.46.6 criteria; Backport IG topic triggers and filters) and queues notifications.
import type { Resource } from '@medplum/fhirtypes';
import type { HubContext } from '../fhir/hub-context';
import { matchRids } from '../fhir/search/execute';
import { parseSearch } from '../fhir/search/parse';
import type { Queryable } from '../store/db';
import { readCurrentByRids } from '../store/resource-store';
import { logger } from '../logger';
import type { ParsedSubscription } from './model';
import type { SubscriptionOptions } from './options';
import { readOutbox, type OutboxEvent, type OutboxHoleTracker } from './outbox-reader';
import type { SubscriptionCache } from './subscription-cache';
import { topicSearchParams, type Topic } from './topics';

/** Subscriptions whose events are recorded: active ones, and errored ones so `$events` can replay what they missed. */
const RECORDING = new Set(['active', 'error']);

interface Candidate {
  resourceType: string;
  /** Search parameters the changed resource must match; deletes cannot be searched and match only without any. */
  params: [string, string][];
  actions: Set<string>;
}

/** What a subscription listens to, per resource type (criteria: one; topic: one per trigger). */
export function candidatesOf(sub: ParsedSubscription, topics: Map<string, Topic>): Candidate[] {
  if (sub.kind === 'criteria') {
    if (!sub.resourceType) return [];
    return [{ resourceType: sub.resourceType, params: sub.params, actions: new Set(['create', 'update', 'delete']) }];
  }
  const topic = sub.topicUrl ? topics.get(sub.topicUrl) : undefined;
  if (!topic) return [];
  return topic.triggers.map((t) => ({ resourceType: t.resourceType, params: topicSearchParams(topic, t, sub.filters), actions: t.interactions }));
}

/** The ids among `ids` (all of `resourceType`) whose current version matches `params`. */
async function matchingIds(ctx: HubContext, q: Queryable, resourceType: string, params: [string, string][], ids: string[]): Promise<Set<string>> {
  const query = parseSearch(ctx.registry, resourceType, [...params, ['_id', ids.join(',')]], { lenient: false, defaultCount: ids.length, maxCount: ids.length });
  const rows = await matchRids(ctx, q, query, ids.length);
  return new Set(rows.map((r) => r.id));
}

/** The events of `events` each subscription receives, in outbox order. */
export async function matchEvents(ctx: HubContext, q: Queryable, subs: ParsedSubscription[], topics: Map<string, Topic>, events: OutboxEvent[], options: SubscriptionOptions): Promise<Map<string, OutboxEvent[]>> {
  const out = new Map<string, OutboxEvent[]>();
  let contentByRid: Map<number, Resource> | undefined;
  const contentOf = async (rid: number): Promise<Resource | undefined> => {
    if (!contentByRid) {
      const versions = await readCurrentByRids(q, [...new Set(events.map((e) => e.rid))]);
      contentByRid = new Map(versions.filter((v) => v.content).map((v) => [v.rid, JSON.parse(v.content!) as Resource]));
    }
    return contentByRid.get(rid);
  };
  for (const sub of subs) {
    if (!RECORDING.has(sub.status)) continue;
    const matched = new Set<number>();
    try {
      for (const c of candidatesOf(sub, topics)) {
        const relevant = events.filter((e) => e.resType === c.resourceType && c.actions.has(e.action));
        if (relevant.length === 0) continue;
        const live = relevant.filter((e) => e.action !== 'delete');
        const ids = live.length > 0 && c.params.length > 0 ? await matchingIds(ctx, q, c.resourceType, c.params, [...new Set(live.map((e) => e.id))]) : undefined;
        for (const e of relevant) {
          if (e.action === 'delete' ? c.params.length === 0 : !ids || ids.has(e.id)) matched.add(e.seq);
        }
      }
    } catch (err) {
      logger.warn({ err, subscription: sub.id }, 'subscription criteria cannot be evaluated; events skipped');
      continue;
    }
    const list: OutboxEvent[] = [];
    for (const e of events) {
      if (!matched.has(e.seq)) continue;
      if (!options.access.allowsEverything && e.action !== 'delete') {
        const resource = await contentOf(e.rid);
        if (!resource || !options.access.canSee(sub.owner, resource)) continue;
      }
      list.push(e);
    }
    if (list.length > 0) out.set(sub.id, list);
  }
  return out;
}

/** Numbers the matched events per subscription and stores one pending notification each. */
async function queueNotifications(q: Queryable, matches: Map<string, OutboxEvent[]>): Promise<number> {
  const cols = { sub: [] as string[], num: [] as number[], seq: [] as number[], type: [] as string[], id: [] as string[], version: [] as number[], action: [] as string[], at: [] as string[] };
  for (const [subId, list] of matches) {
    const r = await q.query<{ n: number }>(
      `UPDATE subscription_state SET events_since_start = events_since_start + $2 WHERE sub_id = $1 RETURNING events_since_start AS n`,
      [subId, list.length],
    );
    let next = Number(r.rows[0]?.n ?? list.length) - list.length + 1;
    if (!r.rows[0]) await q.query(`INSERT INTO subscription_state (sub_id, events_since_start) VALUES ($1, $2)`, [subId, list.length]);
    for (const e of list) {
      cols.sub.push(subId);
      cols.num.push(next++);
      cols.seq.push(e.seq);
      cols.type.push(e.resType);
      cols.id.push(e.id);
      cols.version.push(e.version);
      cols.action.push(e.action);
      cols.at.push(e.at);
    }
  }
  if (cols.sub.length === 0) return 0;
  const r = await q.query(
    `INSERT INTO subscription_notification (sub_id, event_number, outbox_seq, res_type, res_id, version, action, occurred_at)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::text[], $8::timestamptz[])
     ON CONFLICT DO NOTHING`,
    [cols.sub, cols.num, cols.seq, cols.type, cols.id, cols.version, cols.action, cols.at],
  );
  return r.rowCount;
}

export interface MatchPassResult {
  /** Outbox events consumed (0 when nothing new, or another process holds the cursor). */
  events: number;
  queued: number;
}

/**
 * One matcher pass in one transaction: lock the cursor (another process holding it makes this pass a no-op),
 * read the next safe events, match, queue, move the cursor.
 */
export async function matchPass(ctx: HubContext, cache: SubscriptionCache, topics: Map<string, Topic>, holes: OutboxHoleTracker, options: SubscriptionOptions): Promise<MatchPassResult> {
  return ctx.db.transaction(async (tx) => {
    const c = await tx.query<{ last_seq: number }>(`SELECT last_seq FROM subscription_cursor WHERE name = 'outbox' FOR UPDATE SKIP LOCKED`);
    if (!c.rows[0]) return { events: 0, queued: 0 };
    const last = Number(c.rows[0].last_seq);
    const { events, cursor } = await readOutbox(tx, last, options.matchBatch, holes);
    if (cursor === last) return { events: 0, queued: 0 };
    const subs = await cache.refresh(tx);
    const matches = await matchEvents(ctx, tx, subs, topics, events, options);
    const queued = await queueNotifications(tx, matches);
    await tx.query(`UPDATE subscription_cursor SET last_seq = $1 WHERE name = 'outbox'`, [cursor]);
    return { events: events.length, queued };
  });
}

// Matches outbox events against subscriptions (R4 §2.46.6 criteria; Backport IG topic triggers and filters) and queues notifications.
import type { HubContext } from '../fhir/hub-context';
import { matchingIdsMany } from '../fhir/search/execute';
import { parseSearch, type SearchQuery } from '../fhir/search/parse';
import type { Queryable } from '../store/db';
import { logger } from '../logger';
import type { ParsedSubscription } from './model';
import type { SubscriptionOptions } from './options';
import { readOutbox, type OutboxEvent, type OutboxHoleTracker } from './outbox-reader';
import type { SubscriptionCache } from './subscription-cache';
import { announceQueued } from './wakeups';
import { passingFhirPath } from './topic-fhirpath';
import { topicSearchParams, type Topic } from './topics';

/** Subscriptions whose events are recorded: active ones, and errored ones so `$events` can replay what they missed. */
const RECORDING = new Set(['active', 'error']);

interface Candidate {
  resourceType: string;
  /** Search parameters the changed resource must match; deletes cannot be searched and match only without any. */
  params: [string, string][];
  actions: Set<string>;
  /** A topic trigger's fhirPathCriteria, judged on each event's previous and current versions. */
  fhirPath?: string;
}

/** What a subscription listens to, per resource type (criteria: one; topic: one per trigger). */
export function candidatesOf(sub: ParsedSubscription, topics: Map<string, Topic>): Candidate[] {
  if (sub.kind === 'criteria') {
    if (!sub.resourceType) return [];
    return [{ resourceType: sub.resourceType, params: sub.params, actions: new Set(['create', 'update', 'delete']) }];
  }
  const topic = sub.topicUrl ? topics.get(sub.topicUrl) : undefined;
  if (!topic) return [];
  return topic.triggers.map((t) => ({ resourceType: t.resourceType, params: topicSearchParams(topic, t, sub.filters), actions: t.interactions, fhirPath: t.fhirPath }));
}

interface Plan {
  sub: ParsedSubscription;
  relevant: OutboxEvent[];
  /** Index of its search in the batch's queries; undefined when every relevant event matches. */
  query?: number;
  fhirPath?: string;
}

/**
 * The events of `events` each subscription receives, in outbox order. Every search a batch needs (criteria, topic
 * triggers with their filters, the owner's access rule, as in the owner's own searches) runs in one statement. A
 * deletion cannot be checked against an access rule, so restricted owners are not told of one.
 */
export async function matchEvents(ctx: HubContext, q: Queryable, subs: ParsedSubscription[], topics: Map<string, Topic>, events: OutboxEvent[]): Promise<Map<string, OutboxEvent[]>> {
  const plans: Plan[] = [];
  const queries: SearchQuery[] = [];
  for (const sub of subs) {
    if (!RECORDING.has(sub.status)) continue;
    const restricted = sub.owner.access !== undefined;
    const mine: Plan[] = [];
    try {
      for (const c of candidatesOf(sub, topics)) {
        const relevant = events.filter((e) => e.resType === c.resourceType && c.actions.has(e.action) && (e.action !== 'delete' || (c.params.length === 0 && !restricted)));
        if (relevant.length === 0) continue;
        const mustSearch = relevant.some((e) => e.action !== 'delete') && (c.params.length > 0 || restricted);
        if (!mustSearch) {
          mine.push({ sub, relevant, fhirPath: c.fhirPath });
          continue;
        }
        const query = parseSearch(ctx.registry, c.resourceType, c.params, { lenient: false, defaultCount: 1, maxCount: 1 });
        queries.push(restricted ? { ...query, access: sub.owner.access } : query);
        mine.push({ sub, relevant, query: queries.length - 1, fhirPath: c.fhirPath });
      }
    } catch (err) {
      logger.warn({ err, subscription: sub.id }, 'subscription criteria cannot be evaluated; events skipped');
      continue;
    }
    plans.push(...mine);
  }
  const liveRids = [...new Set(events.filter((e) => e.action !== 'delete').map((e) => e.rid))];
  const found = await matchingIdsMany(ctx, q, queries, liveRids);
  // fhirPathCriteria are judged once per expression for the batch, whatever the number of subscriptions.
  const passing = new Map<string, Set<number>>();
  for (const expr of new Set(plans.flatMap((p) => (p.fhirPath ? [p.fhirPath] : [])))) {
    const concerned = events.filter((e) => plans.some((p) => p.fhirPath === expr && p.relevant.includes(e)));
    passing.set(expr, await passingFhirPath(q, expr, concerned));
  }
  const matched = new Map<string, Set<number>>();
  for (const plan of plans) {
    const ids = plan.query === undefined ? undefined : found[plan.query];
    const test = plan.fhirPath ? passing.get(plan.fhirPath) : undefined;
    let set = matched.get(plan.sub.id);
    if (!set) matched.set(plan.sub.id, (set = new Set()));
    for (const e of plan.relevant) if ((e.action === 'delete' || !ids || ids.has(e.id)) && (!test || test.has(e.seq))) set.add(e.seq);
  }
  const out = new Map<string, OutboxEvent[]>();
  for (const [subId, seqs] of matched) {
    const list = events.filter((e) => seqs.has(e.seq));
    if (list.length > 0) out.set(subId, list);
  }
  return out;
}

/** Numbers the matched events per subscription and stores one pending notification each. */
async function queueNotifications(q: Queryable, matches: Map<string, OutboxEvent[]>): Promise<number> {
  const cols = { sub: [] as string[], num: [] as number[], seq: [] as number[], type: [] as string[], id: [] as string[], version: [] as number[], action: [] as string[], at: [] as string[] };
  if (matches.size === 0) return 0;
  // Two statements for any number of subscriptions: make sure each has a state row, then reserve its numbers.
  const subIds = [...matches.keys()];
  await q.query(`INSERT INTO subscription_state (sub_id) SELECT unnest($1::text[]) ON CONFLICT (sub_id) DO NOTHING`, [subIds]);
  const counters = await q.query<{ sub_id: string; n: number }>(
    `UPDATE subscription_state s SET events_since_start = s.events_since_start + v.n
       FROM unnest($1::text[], $2::int[]) AS v(sub_id, n) WHERE s.sub_id = v.sub_id RETURNING s.sub_id, s.events_since_start AS n`,
    [subIds, subIds.map((id) => matches.get(id)!.length)],
  );
  const last = new Map(counters.rows.map((row) => [row.sub_id, Number(row.n)]));
  for (const [subId, list] of matches) {
    let next = last.get(subId)! - list.length + 1;
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
    const matches = await matchEvents(ctx, tx, subs, topics, events);
    const queued = await queueNotifications(tx, matches);
    await tx.query(`UPDATE subscription_cursor SET last_seq = $1 WHERE name = 'outbox'`, [cursor]);
    if (queued > 0) await announceQueued(tx, [...matches.keys()]);
    return { events: events.length, queued };
  });
}

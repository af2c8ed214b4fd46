// The $status and $events operations (Backport IG OperationDefinitions backport-subscription-status and backport-subscription-events).
import type { Bundle, Resource, Subscription } from '@medplum/fhirtypes';
import { errors } from '../fhir/errors';
import type { HubContext } from '../fhir/hub-context';
import { readCurrent, readVersion } from '../store/resource-store';
import { parseSubscription, type PayloadContent, type ParsedSubscription } from './model';
import { eventsSinceStart } from './status';
import { notificationBundle, statusParameters, type NotificationEvent, type NotificationType } from './notification-bundle';

/** The most events one $events call returns. */
export const MAX_EVENTS_PER_CALL = 1000;

async function loadSubscription(ctx: HubContext, id: string): Promise<{ sub: ParsedSubscription; raw: Subscription }> {
  const current = await readCurrent(ctx.db, 'Subscription', id);
  if (!current || current.deleted || !current.content) throw errors.notFound(`Subscription/${id} is not known`);
  const raw = JSON.parse(current.content) as Subscription;
  return { sub: parseSubscription(raw, current.version), raw };
}

/** GET Subscription/[id]/$status: a searchset Bundle holding the status Parameters (type query-status). */
export async function subscriptionStatus(ctx: HubContext, id: string): Promise<Bundle> {
  const { sub, raw } = await loadSubscription(ctx, id);
  const status = statusParameters({
    sub,
    baseUrl: ctx.config.baseUrl,
    status: sub.status,
    type: 'query-status',
    eventsSinceStart: await eventsSinceStart(ctx.db, id),
    events: [],
    content: sub.content,
    error: sub.status === 'error' ? raw.error : undefined,
  });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: 1,
    timestamp: new Date().toISOString(),
    entry: [{ fullUrl: `urn:uuid:${status.id}`, resource: status, search: { mode: 'match' } }],
  };
}

export interface EventsQuery {
  /** Inclusive lower bound of event numbers (default: the oldest kept). */
  eventsSinceNumber?: number;
  /** Inclusive upper bound (default: the latest). */
  eventsUntilNumber?: number;
  /** Content of the returned notifications (default: the subscription's). */
  content?: PayloadContent;
}

/** Reads $events parameters from request parameters (eventsSinceNumber, eventsUntilNumber, content). */
export function eventsQueryFromParams(params: [string, string][]): EventsQuery {
  const q: EventsQuery = {};
  for (const [name, value] of params) {
    if (name === 'eventsSinceNumber' || name === 'eventsUntilNumber') {
      if (!/^\d+$/.test(value)) throw errors.badRequest(`${name} must be a whole number, got "${value}"`, name);
      q[name] = Number(value);
    } else if (name === 'content') {
      if (value !== 'empty' && value !== 'id-only' && value !== 'full-resource') throw errors.badRequest('content must be empty, id-only or full-resource', name);
      q.content = value;
    }
  }
  return q;
}

/**
 * GET Subscription/[id]/$events (and what a websocket is sent, as event-notification): the recorded events in a range, as a notification Bundle (type history, status
 * Parameters of type query-event first). Events stay replayable whatever their delivery state, until clean-up.
 */
export async function subscriptionEvents(ctx: HubContext, id: string, query: EventsQuery = {}, type: NotificationType = 'query-event'): Promise<Bundle> {
  const { sub } = await loadSubscription(ctx, id);
  const content = query.content ?? sub.content;
  const r = await ctx.db.query<Record<string, unknown>>(
    `SELECT event_number, res_type, res_id, version, action, occurred_at FROM subscription_notification
      WHERE sub_id = $1 AND event_number >= $2 AND event_number <= $3 ORDER BY event_number LIMIT $4`,
    [id, query.eventsSinceNumber ?? 0, query.eventsUntilNumber ?? Number.MAX_SAFE_INTEGER, MAX_EVENTS_PER_CALL],
  );
  const events: NotificationEvent[] = [];
  for (const row of r.rows) {
    const e: NotificationEvent = {
      eventNumber: Number(row.event_number),
      timestamp: row.occurred_at instanceof Date ? row.occurred_at.toISOString() : new Date(String(row.occurred_at)).toISOString(),
      resType: String(row.res_type),
      resId: String(row.res_id),
      version: Number(row.version),
      action: String(row.action) as NotificationEvent['action'],
    };
    if (content === 'full-resource' && e.action !== 'delete') {
      const v = await readVersion(ctx.db, e.resType, e.resId, e.version);
      if (v?.content) e.resource = JSON.parse(v.content) as Resource;
    }
    events.push(e);
  }
  return notificationBundle({ sub, baseUrl: ctx.config.baseUrl, status: sub.status, type, eventsSinceStart: await eventsSinceStart(ctx.db, id), events, content });
}

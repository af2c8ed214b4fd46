// Cross-process wake-ups (DESIGN "Events and subscriptions": PostgreSQL LISTEN/NOTIFY): the process that queued
// notifications tells every process, so senders and websocket channels act at once instead of at their next poll.
import type { Db, Queryable } from '../store/db';

export const QUEUED_CHANNEL = 'fhir_hub_subscription_queued';
/** pg_notify payloads must stay under 8000 bytes; past this, listeners are told "something" and look for themselves. */
const MAX_PAYLOAD = 7000;

/** Inside the queuing transaction: delivered to listeners when it commits, never if it rolls back. */
export async function announceQueued(tx: Queryable, subIds: string[]): Promise<void> {
  const payload = subIds.join(',');
  await tx.query('SELECT pg_notify($1, $2)', [QUEUED_CHANNEL, payload.length <= MAX_PAYLOAD ? payload : '']);
}

/** Calls onQueued with the subscription ids that have new notifications (undefined: some, not named). */
export function listenQueued(db: Db, onQueued: (subIds: string[] | undefined) => void): Promise<() => Promise<void>> {
  return db.listen(QUEUED_CHANNEL, (payload) => onQueued(payload ? payload.split(',') : undefined));
}

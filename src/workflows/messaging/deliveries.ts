// Deliveries (message_delivery, 009-messages.sql): one row per recipient a new Communication reaches, written in the
// Communication's transaction once its rid is known, so every stored message has its inbox rows and vice versa.
import type { Communication } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import type { VersionWrite } from '../../store/resource-store';
import { expandRecipients } from './recipients';
import { threadOf } from './thread';

export interface DeliveryRow {
  rid: number;
  recipient: string;
  thread: string;
  sent: string;
  patient: string | null;
}

/** The id of the Patient a message is about, from its subject; null for anything else. */
export function patientOf(message: Communication): string | null {
  return /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(message.subject?.reference ?? '')?.[1] ?? null;
}

/** The rows of the Communications `writes` create (updates keep the deliveries made when the message was sent). */
export async function deliveriesOf(q: Queryable, writes: VersionWrite[], now: Date): Promise<DeliveryRow[]> {
  const rows: DeliveryRow[] = [];
  for (const w of writes) {
    if (w.resType !== 'Communication' || w.method !== 'create' || !w.content || w.rid === undefined) continue;
    const message = JSON.parse(w.content) as Communication;
    const thread = threadOf(message) ?? `Communication/${w.id}`;
    const sent = message.sent ?? w.lastUpdated;
    const patient = patientOf(message);
    for (const recipient of await expandRecipients(q, message, now)) rows.push({ rid: w.rid, recipient, thread, sent, patient });
  }
  return rows;
}

export async function insertDeliveries(q: Queryable, rows: DeliveryRow[]): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO message_delivery (rid, recipient, thread, sent, patient)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) ON CONFLICT DO NOTHING`,
    [rows.map((r) => r.rid), rows.map((r) => r.recipient), rows.map((r) => r.thread), rows.map((r) => r.sent), rows.map((r) => r.patient)],
  );
}

/** An update that changes a message's subject moves its deliveries to the new patient (the inbox judges access by it). */
export async function followSubjects(q: Queryable, writes: VersionWrite[]): Promise<void> {
  const updates = writes.filter((w) => w.resType === 'Communication' && w.method === 'update' && w.content && w.rid !== undefined);
  if (updates.length === 0) return;
  await q.query(
    `UPDATE message_delivery d SET patient = u.patient FROM unnest($1::bigint[], $2::text[]) AS u(rid, patient)
      WHERE d.rid = u.rid AND d.patient IS DISTINCT FROM u.patient`,
    [updates.map((w) => w.rid), updates.map((w) => patientOf(JSON.parse(w.content!) as Communication))],
  );
}

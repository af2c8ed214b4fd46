// Outbound, step 1: follow the outbox from the bridge's own cursor and queue one mail per (Communication, address),
// in the transaction that moves the cursor, so a crash neither loses nor doubles a queued mail.
import type { Communication } from '@medplum/fhirtypes';
import type { HubContext } from '../../fhir/hub-context';
import { logger } from '../../logger';
import type { Queryable } from '../../store/db';
import { readVersion } from '../../store/resource-store';
import { readOutbox, type OutboxHoleTracker } from '../../subscriptions/outbox-reader';
import { expandRecipients } from '../../workflows/messaging/recipients';
import { mailAddressOf } from './addresses';
import type { MailSettings } from './settings';
import { messageIdOf } from './vocabulary';

const BATCH = 500;

/**
 * Makes the cursor if there is none yet, at the end of the outbox: turning the bridge on for a hub that already
 * holds messages mails none of them (010-mail.sql). Once per process, before its first pass.
 */
export async function ensureCursor(db: Queryable): Promise<void> {
  await db.query(`INSERT INTO mail_cursor (name, last_seq) SELECT 'outbox', coalesce(max(seq), 0) FROM outbox ON CONFLICT (name) DO NOTHING`);
}

/** One pass; returns the number of outbox events consumed (0: nothing new, or another process holds the cursor). */
export async function queuePass(ctx: HubContext, settings: MailSettings, holes: OutboxHoleTracker): Promise<number> {
  return ctx.db.transaction(async (tx) => {
    const c = await tx.query<{ last_seq: string }>(`SELECT last_seq FROM mail_cursor WHERE name = 'outbox' FOR UPDATE SKIP LOCKED`);
    if (c.rows.length === 0) return 0;
    const last = Number(c.rows[0].last_seq);
    const { events, cursor } = await readOutbox(tx, last, BATCH, holes);
    if (cursor === last) return 0;
    for (const e of events) {
      if (e.resType !== 'Communication' || e.action !== 'create') continue;
      // A savepoint per message: one that cannot be worked out is logged and skipped, not retried forever.
      await tx.query('SAVEPOINT mail_queue');
      try {
        await queueCommunication(ctx, tx, settings, e.id, e.version);
        await tx.query('RELEASE SAVEPOINT mail_queue');
      } catch (err) {
        await tx.query('ROLLBACK TO SAVEPOINT mail_queue');
        logger.error({ err, communication: e.id }, 'mail bridge: cannot work out the mail recipients of a Communication; not mailed');
      }
    }
    await tx.query(`UPDATE mail_cursor SET last_seq = $1 WHERE name = 'outbox'`, [cursor]);
    return events.length;
  });
}

async function queueCommunication(ctx: HubContext, tx: Queryable, settings: MailSettings, id: string, version: number): Promise<void> {
  const stored = await readVersion(tx, 'Communication', id, version);
  if (!stored?.content) return;
  const communication = JSON.parse(stored.content) as Communication;
  // Drafts and withdrawn messages are not sent; the author is never mailed their own message (a reply by mail).
  if (communication.status && !['completed', 'in-progress'].includes(communication.status)) return;
  const author = communication.sender?.reference;
  const recipients = (await expandRecipients(tx, communication, ctx.now())).filter((r) => r !== author);
  let queued = 0;
  for (const recipient of recipients) {
    const address = await mailAddressOf(ctx, tx, recipient);
    if (!address) continue;
    const r = await tx.query(
      `INSERT INTO mail_outbound (communication_id, recipient, address, message_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (communication_id, address) DO NOTHING`,
      [id, recipient, address, messageIdOf(id, settings.domain)],
    );
    queued += r.rowCount;
  }
  if (queued > 0) {
    await tx.query(`INSERT INTO mail_message (message_id, direction, communication_id) VALUES ($1, 'out', $2) ON CONFLICT (message_id) DO NOTHING`, [
      messageIdOf(id, settings.domain),
      id,
    ]);
    logger.info({ communication: id, mails: queued }, 'mail bridge: mails queued');
  }
}

// Outbound, step 3: claim due mails (FOR UPDATE SKIP LOCKED plus a lease, so replicas never send one twice), send
// them through the relay, and record the outcome: sent, retried with back-off, or failed for good on a 5xx.
import type { Communication } from '@medplum/fhirtypes';
import nodemailer, { type Transporter } from 'nodemailer';
import type { HubContext } from '../../fhir/hub-context';
import { logger } from '../../logger';
import { readResource } from './addresses';
import { composeMail } from './compose';
import type { MailSettings } from './settings';

interface OutboundRow {
  id: string;
  communication_id: string;
  address: string;
  attempts: number;
  message_id: string;
}

const CLAIM_BATCH = 10;

export class MailSender {
  private readonly transport?: Transporter;
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: HubContext,
    private readonly settings: MailSettings,
  ) {
    try {
      if (settings.smtpUrl) this.transport = nodemailer.createTransport(settings.smtpUrl);
    } catch (err) {
      // A malformed MAIL_SMTP_URL: mails stay queued (nothing is lost) until the setting is fixed and the hub restarted.
      logger.error({ err }, 'mail bridge: MAIL_SMTP_URL is not usable; outbound mail is queued but not sent');
    }
  }

  /** Sends what is due; returns how many rows were claimed. */
  async pass(): Promise<number> {
    if (!this.transport) return 0;
    const rows = await this.claim();
    const work = (async () => {
      for (const row of rows) await this.sendOne(row);
    })();
    this.inFlight = work;
    await work;
    return rows.length;
  }

  async drain(): Promise<void> {
    await this.inFlight.catch(() => undefined);
    this.transport?.close();
  }

  private async claim(): Promise<OutboundRow[]> {
    const r = await this.ctx.db.query<OutboundRow>(
      `UPDATE mail_outbound o SET claimed_until = now() + make_interval(secs => $1::double precision)
        WHERE o.id IN (SELECT id FROM mail_outbound
                        WHERE status = 'pending' AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
                        ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING o.id, o.communication_id, o.address, o.attempts, o.message_id`,
      [this.settings.leaseMs / 1000, CLAIM_BATCH],
    );
    return r.rows.map((row) => ({ ...row, attempts: Number(row.attempts) }));
  }

  private async sendOne(row: OutboundRow): Promise<void> {
    try {
      const communication = await readResource<Communication>(this.ctx.db, `Communication/${row.communication_id}`);
      if (!communication) return await this.fail(row, 'the Communication no longer exists', true);
      const mail = await composeMail(this.ctx.db, communication, this.settings);
      await this.transport!.sendMail({
        from: this.settings.from,
        replyTo: this.settings.replyTo,
        to: row.address,
        subject: mail.subject,
        text: mail.text,
        attachments: mail.attachments,
        messageId: `<${mail.messageId}>`,
        inReplyTo: mail.inReplyTo ? `<${mail.inReplyTo}>` : undefined,
        references: mail.references.map((id) => `<${id}>`),
      });
      await this.ctx.db.query(`UPDATE mail_outbound SET status = 'sent', sent_at = now(), attempts = attempts + 1, claimed_until = NULL, last_error = NULL WHERE id = $1`, [row.id]);
      logger.info({ communication: row.communication_id, outbound: row.id }, 'mail bridge: mail sent');
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      // A permanent refusal (5xx: unknown mailbox, rejected content) will not change by retrying.
      const permanent = typeof code === 'number' && code >= 500 && code < 600;
      logger.warn({ err, communication: row.communication_id, outbound: row.id, responseCode: code }, 'mail bridge: sending failed');
      await this.fail(row, `${code ?? ''} ${(err as Error).message ?? String(err)}`.trim(), permanent).catch((e) =>
        logger.error({ err: e, outbound: row.id }, 'mail bridge: cannot record a failed sending; the lease will expire and it will be retried'),
      );
    }
  }

  private async fail(row: OutboundRow, error: string, permanent: boolean): Promise<void> {
    const attempts = row.attempts + 1;
    const giveUp = permanent || attempts >= this.settings.maxAttempts;
    const delayMs = Math.min(this.settings.retryMaxMs, this.settings.retryInitialMs * 2 ** (attempts - 1));
    await this.ctx.db.query(
      `UPDATE mail_outbound SET attempts = $2, last_error = $3, claimed_until = NULL, status = $4,
              next_attempt_at = now() + make_interval(secs => $5::double precision) WHERE id = $1`,
      [row.id, attempts, error.slice(0, 2000), giveUp ? 'failed' : 'pending', delayMs / 1000],
    );
    if (giveUp) logger.error({ communication: row.communication_id, outbound: row.id, error }, 'mail bridge: mail not delivered, given up');
  }
}

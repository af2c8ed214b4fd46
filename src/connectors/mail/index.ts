// The mail bridge (docs/mail-bridge.md): outbound Communications to mail-only recipients through an SMTP relay,
// inbound mail filed as Communications or review Tasks. Each part runs only when configured.
import type { HubContext } from '../../fhir/hub-context';
import { logger } from '../../logger';
import { WakeTimer } from '../../wake-timer';
import { OutboxHoleTracker } from '../../subscriptions/outbox-reader';
import { startInbound, type InboundListener } from './inbound-server';
import { ensureCursor, queuePass } from './outbound-queue';
import { MailSender } from './outbound-sender';
import { mailEnabled, mailSettings, type MailSettings } from './settings';

export { mailSettings, type MailSettings } from './settings';

export interface MailBridge {
  /** The inbound SMTP port actually listened on (MAIL_INBOUND_PORT=0 picks one), if inbound is on. */
  inboundPort?: number;
  /** Runs the next outbound pass now instead of after the poll interval. */
  wake(): void;
  /** Stops the listener and the worker; what is not sent stays queued for the next start. */
  stop(): Promise<void>;
}

/** Starts the parts of the bridge the settings ask for; undefined when neither MAIL_SMTP_URL nor MAIL_INBOUND_PORT is set. */
export async function startMailBridge(ctx: HubContext, settings: MailSettings = mailSettings()): Promise<MailBridge | undefined> {
  if (!mailEnabled(settings)) return undefined;
  // A listener that cannot start (port taken, unreadable certificate) is logged; outbound mail still runs.
  const inbound: InboundListener | undefined =
    settings.inboundPort !== undefined
      ? await startInbound(ctx, settings).catch((err) => {
          logger.error({ err, port: settings.inboundPort }, 'mail bridge: the SMTP listener cannot start; no inbound mail');
          return undefined;
        })
      : undefined;
  let stopped = false;
  const timer = new WakeTimer();
  const wake = () => timer.wake();
  const sender = new MailSender(ctx, settings);
  const holes = new OutboxHoleTracker();
  const loop = async () => {
    let failures = 0;
    let cursorReady = false;
    while (!stopped) {
      let busy = false;
      try {
        if (!cursorReady) {
          await ensureCursor(ctx.db);
          cursorReady = true;
        }
        const consumed = await queuePass(ctx, settings, holes);
        const sent = await sender.pass();
        busy = consumed > 0 || sent > 0;
        failures = 0;
      } catch (err) {
        if (stopped) break;
        failures++;
        logger.error({ err }, 'mail bridge: outbound pass failed');
      }
      if (stopped) break;
      // Back off on repeated failures (database down) instead of spinning.
      if (!busy) await timer.sleep(failures ? Math.min(30_000, settings.pollMs * 2 ** Math.min(failures, 6)) : settings.pollMs);
    }
  };
  const running = settings.smtpUrl ? loop() : Promise.resolve();
  logger.info({ outbound: !!settings.smtpUrl, inbound: inbound?.port }, 'mail bridge started');
  return {
    inboundPort: inbound?.port,
    wake,
    async stop() {
      stopped = true;
      timer.wake();
      await Promise.all([running, inbound?.close()]);
      await sender.drain();
    },
  };
}

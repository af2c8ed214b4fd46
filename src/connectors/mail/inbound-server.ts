// Inbound, the SMTP listener (smtp-server): RCPT only for the hub's domain (550 otherwise), a size limit, and 250
// to DATA only once the mail is stored; a database failure answers 451 so the sending MTA retries — never lost.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { HubContext } from '../../fhir/hub-context';
import { logger } from '../../logger';
import { fileInbound } from './inbound-filing';
import type { MailSettings } from './settings';

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export interface InboundListener {
  port: number;
  close(): Promise<void>;
}

export async function startInbound(ctx: HubContext, settings: MailSettings): Promise<InboundListener> {
  const tls = settings.tlsCert && settings.tlsKey ? { cert: fs.readFileSync(settings.tlsCert), key: fs.readFileSync(settings.tlsKey) } : undefined;
  const user = settings.inboundAuth?.user;
  const options: SMTPServerOptions = {
    name: settings.domain,
    banner: 'fhir-hub mail bridge',
    size: settings.maxBytes,
    logger: false,
    ...(tls ?? {}),
    // Without a certificate there is no STARTTLS to offer (loopback only); AUTH only when credentials are configured.
    disabledCommands: [...(tls ? [] : ['STARTTLS']), ...(user ? [] : ['AUTH'])],
    authOptional: !user,
    onAuth(auth, _session, callback) {
      if (user && auth.username === user && auth.password === settings.inboundAuth?.password) return callback(null, { user });
      callback(smtpError(535, 'Authentication failed'));
    },
    onRcptTo(address, _session, callback) {
      const domain = address.address.split('@').pop()?.toLowerCase();
      if (domain === settings.domain) return callback();
      callback(smtpError(550, `No mailbox here for ${address.address}: this hub accepts mail for @${settings.domain} only`));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => {
        logger.warn({ err, session: session.id }, 'mail bridge: inbound stream failed');
        callback(smtpError(451, 'Temporary failure reading the message; try again later'));
      });
      stream.on('end', () => {
        if ((stream as { sizeExceeded?: boolean }).sizeExceeded) return callback(smtpError(552, `Message exceeds the ${settings.maxBytes} bytes this hub accepts`));
        fileInbound(ctx, settings, Buffer.concat(chunks)).then(
          (filed) => callback(null, filed.duplicate ? `Already received ${filed.messageId}` : `Filed as ${filed.filedAs}`),
          (err) => {
            logger.error({ err, session: session.id }, 'mail bridge: cannot store a received mail; answered 451 so the sender retries');
            callback(smtpError(451, 'Temporary local problem storing the message; try again later'));
          },
        );
      });
    },
  };
  const server = new SMTPServer(options);
  server.on('error', (err) => logger.error({ err }, 'mail bridge: SMTP listener error'));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.server.once('error', onError);
    server.listen(settings.inboundPort ?? 0, settings.inboundHost, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  logger.info({ port, host: settings.inboundHost, domain: settings.domain }, 'mail bridge: SMTP listener ready');
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

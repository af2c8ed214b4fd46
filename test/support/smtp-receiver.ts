// A real SMTP server on loopback recording what it receives: the "relay" the hub's mail bridge sends through.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** An SMTP server recording what it receives; it can go down and come back on the same port. */
export class SmtpReceiver {
  readonly mails: { raw: Buffer; parsed: ParsedMail; to: string[] }[] = [];
  port = 0;
  private server?: SMTPServer;

  async start(port = 0): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // A mailbox the relay refuses for good, for the permanent-failure test.
      onRcptTo: (address, _session, callback) => callback(address.address.startsWith('refused@') ? Object.assign(new Error('No such user'), { responseCode: 550 }) : undefined),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          const raw = Buffer.concat(chunks);
          this.mails.push({ raw, parsed: await simpleParser(raw), to: session.envelope.rcptTo.map((r) => r.address) });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

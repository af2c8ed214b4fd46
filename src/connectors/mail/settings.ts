// Settings of the mail bridge (docs/mail-bridge.md), read from the environment; the bridge is off unless configured.

export interface MailSettings {
  /** Outbound relay, e.g. smtp://127.0.0.1:2525 or smtps://user:pass@relay:465; unset = no outbound mail. */
  smtpUrl?: string;
  /** The hub's own address (From); its domain is the default MAIL_DOMAIN. */
  from: string;
  /** Where replies go (Reply-To): an address the inbound listener accepts. */
  replyTo: string;
  /** The domain the inbound listener accepts mail for, and the right-hand side of the hub's Message-IDs. */
  domain: string;
  /** Inbound SMTP listener; unset = no inbound mail. */
  inboundPort?: number;
  inboundHost: string;
  /** Largest accepted message, in bytes (SMTP SIZE). */
  maxBytes: number;
  /** STARTTLS certificate and key (PEM file paths); both unset = plain SMTP (loopback only). */
  tlsCert?: string;
  tlsKey?: string;
  /** SMTP AUTH the listener demands (MAIL_INBOUND_AUTH=user:password); unset = no AUTH offered. */
  inboundAuth?: { user: string; password: string };
  pollMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  /** How long a claimed outbound row stays with the process sending it. */
  leaseMs: number;
}

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: expected a whole number, got "${value}"`);
  return n;
}

export function mailSettings(env: NodeJS.ProcessEnv = process.env): MailSettings {
  const from = env.MAIL_FROM || 'hub@fhir-hub.localhost';
  const domain = (env.MAIL_DOMAIN || from.split('@')[1] || 'fhir-hub.localhost').toLowerCase();
  return {
    smtpUrl: env.MAIL_SMTP_URL || undefined,
    from,
    replyTo: env.MAIL_REPLY_TO || from,
    domain,
    inboundPort: env.MAIL_INBOUND_PORT ? int(env.MAIL_INBOUND_PORT, 0, 'MAIL_INBOUND_PORT') : undefined,
    inboundHost: env.MAIL_INBOUND_HOST || '127.0.0.1',
    maxBytes: int(env.MAIL_MAX_BYTES, 20 * 1024 * 1024, 'MAIL_MAX_BYTES'),
    tlsCert: env.MAIL_TLS_CERT || undefined,
    tlsKey: env.MAIL_TLS_KEY || undefined,
    inboundAuth: env.MAIL_INBOUND_AUTH ? { user: env.MAIL_INBOUND_AUTH.split(':')[0], password: env.MAIL_INBOUND_AUTH.split(':').slice(1).join(':') } : undefined,
    pollMs: int(env.MAIL_POLL_MS, 500, 'MAIL_POLL_MS'),
    retryInitialMs: int(env.MAIL_RETRY_INITIAL_MS, 30_000, 'MAIL_RETRY_INITIAL_MS'),
    retryMaxMs: int(env.MAIL_RETRY_MAX_MS, 3_600_000, 'MAIL_RETRY_MAX_MS'),
    maxAttempts: int(env.MAIL_MAX_ATTEMPTS, 30, 'MAIL_MAX_ATTEMPTS'),
    leaseMs: int(env.MAIL_LEASE_MS, 120_000, 'MAIL_LEASE_MS'),
  };
}

/** Whether anything of the bridge should run in this process. */
export function mailEnabled(s: MailSettings): boolean {
  return s.smtpUrl !== undefined || s.inboundPort !== undefined;
}

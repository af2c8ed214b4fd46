// Delivery settings (FHIR R4 §2.46.7 "Subscription management"): polling, retries with back-off, endpoint allow-list.

export interface RetryPolicy {
  /** Delay before the second attempt; doubles at each failure. */
  initialDelayMs: number;
  /** Ceiling of one delay. */
  maxDelayMs: number;
  /** The last retry happens at most this long after the first attempt; then the subscription goes to error. */
  giveUpAfterMs: number;
  /** Optional hard limit on attempts (first attempt included). */
  maxAttempts?: number;
}

export interface SubscriptionOptions {
  /** Idle wait between two polls of the outbox and the notification queue. */
  pollIntervalMs: number;
  retry: RetryPolicy;
  /** URL prefixes a rest-hook endpoint must start with; empty = every endpoint refused. */
  endpointAllow: string[];
  /** Default timeout of one HTTP request (backport-timeout overrides it per subscription). */
  requestTimeoutMs: number;
  /** How many notifications one sender pass claims (one per subscription at most). */
  claimBatch: number;
  /** Most events one topic notification carries, and one claim of an R4 criteria subscription covers. */
  deliveryBatch: number;
  /** How many outbox rows one matcher pass reads. */
  matchBatch: number;
  /** node-cron pattern of the heartbeat check (seconds field allowed). */
  heartbeatCron: string;
  /** node-cron pattern of the clean-up. */
  cleanupCron: string;
  /** Delivered and failed notifications and log lines older than this are removed. */
  retentionMs: number;
  /** A name for this process in logs and claims. */
  workerId: string;
}

// A 5-minute ceiling: a receiver back from an outage gets its backlog within 5 minutes; a dead one is still
// tried for 24 h (about 290 attempts, on the head event of each subscription only).
export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 1_000, maxDelayMs: 300_000, giveUpAfterMs: 24 * 3_600_000 };

export function defaultOptions(): SubscriptionOptions {
  return {
    pollIntervalMs: 150,
    retry: { ...DEFAULT_RETRY },
    endpointAllow: [],
    requestTimeoutMs: 10_000,
    claimBatch: 200,
    deliveryBatch: 20,
    matchBatch: 2000,
    heartbeatCron: '*/5 * * * * *',
    cleanupCron: '17 * * * *',
    retentionMs: 30 * 24 * 3_600_000,
    workerId: `hub-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  };
}

function numberFrom(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`Expected a non-negative number, got "${value}"`);
  return n;
}

/**
 * Settings from the environment: SUBSCRIPTION_ENDPOINT_ALLOW (comma list of URL prefixes),
 * SUBSCRIPTION_POLL_MS, SUBSCRIPTION_RETRY_INITIAL_MS, SUBSCRIPTION_RETRY_MAX_MS, SUBSCRIPTION_GIVE_UP_AFTER_MS,
 * SUBSCRIPTION_MAX_ATTEMPTS, SUBSCRIPTION_TIMEOUT_MS, SUBSCRIPTION_RETENTION_MS.
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<SubscriptionOptions> {
  const out: Partial<SubscriptionOptions> = {};
  if (env.SUBSCRIPTION_ENDPOINT_ALLOW !== undefined) out.endpointAllow = env.SUBSCRIPTION_ENDPOINT_ALLOW.split(',').map((s) => s.trim()).filter(Boolean);
  const poll = numberFrom(env.SUBSCRIPTION_POLL_MS);
  if (poll !== undefined) out.pollIntervalMs = poll;
  const retry: RetryPolicy = { ...DEFAULT_RETRY };
  retry.initialDelayMs = numberFrom(env.SUBSCRIPTION_RETRY_INITIAL_MS) ?? retry.initialDelayMs;
  retry.maxDelayMs = numberFrom(env.SUBSCRIPTION_RETRY_MAX_MS) ?? retry.maxDelayMs;
  retry.giveUpAfterMs = numberFrom(env.SUBSCRIPTION_GIVE_UP_AFTER_MS) ?? retry.giveUpAfterMs;
  retry.maxAttempts = numberFrom(env.SUBSCRIPTION_MAX_ATTEMPTS);
  out.retry = retry;
  const timeout = numberFrom(env.SUBSCRIPTION_TIMEOUT_MS);
  if (timeout !== undefined) out.requestTimeoutMs = timeout;
  const retention = numberFrom(env.SUBSCRIPTION_RETENTION_MS);
  if (retention !== undefined) out.retentionMs = retention;
  return out;
}

export function resolveOptions(partial: Partial<SubscriptionOptions> = {}): SubscriptionOptions {
  const base = defaultOptions();
  return { ...base, ...partial, retry: { ...base.retry, ...(partial.retry ?? {}) } };
}

/**
 * When the next attempt is due after `attempts` failed attempts (first attempt at `firstAttemptAt`),
 * or undefined when the policy gives up: exponential back-off, capped, within giveUpAfterMs.
 */
export function nextAttemptAt(policy: RetryPolicy, attempts: number, firstAttemptAt: Date, now: Date): Date | undefined {
  if (policy.maxAttempts !== undefined && attempts >= policy.maxAttempts) return undefined;
  const delay = Math.min(policy.initialDelayMs * 2 ** Math.max(0, attempts - 1), policy.maxDelayMs);
  const due = new Date(now.getTime() + delay);
  if (due.getTime() - firstAttemptAt.getTime() > policy.giveUpAfterMs) return undefined;
  return due;
}

// Channel security and retry policy (R4 §2.46.8; Backport IG safety): allow-list, header masking, back-off, topics.
import type { Subscription } from '@medplum/fhirtypes';
import { isEndpointAllowed, maskSubscriptionForRead, prepareSubscriptionWrite, restoreMaskedHeaders } from '../../src/subscriptions';
import { nextAttemptAt, optionsFromEnv } from '../../src/subscriptions/options';
import { loadTopics } from '../../src/subscriptions/topics';

describe('endpoint allow-list', () => {
  const allow = ['https://ehr.example.fr/hooks', 'http://127.0.0.1'];
  it.each([
    ['https://ehr.example.fr/hooks', true],
    ['https://ehr.example.fr/hooks/a/b', true],
    ['https://ehr.example.fr/hooksmith', false],
    ['https://ehr.example.fr.evil.example/hooks', false],
    ['http://ehr.example.fr/hooks', false],
    ['https://user:pw@ehr.example.fr/hooks', false],
    ['http://127.0.0.1:4567/x', true],
    ['http://127.0.0.1.nip.io/x', false],
    ['file:///etc/passwd', false],
    ['not a url', false],
  ])('%s → %s', (url, expected) => {
    expect(isEndpointAllowed(url, allow)).toBe(expected);
  });

  it('allows nothing by default and reads the list from SUBSCRIPTION_ENDPOINT_ALLOW', () => {
    expect(isEndpointAllowed('http://127.0.0.1:1/x', [])).toBe(false);
    expect(optionsFromEnv({ SUBSCRIPTION_ENDPOINT_ALLOW: ' https://a.fr/x , http://127.0.0.1 ' }).endpointAllow).toEqual(['https://a.fr/x', 'http://127.0.0.1']);
  });
});

describe('channel header credentials', () => {
  const stored: Subscription = {
    resourceType: 'Subscription', id: 's1', status: 'active', reason: 'r', criteria: 'Task?status=requested',
    channel: { type: 'rest-hook', endpoint: 'https://ehr.example.fr/hooks', header: ['Authorization: Bearer abc', 'X-Tenant: cpts-1'] },
  };

  it('never returns header values in reads', () => {
    const masked = maskSubscriptionForRead(stored);
    expect(masked.channel.header).toEqual(['Authorization: ***', 'X-Tenant: ***']);
    expect(JSON.stringify(masked)).not.toContain('abc');
    expect(stored.channel.header![0]).toBe('Authorization: Bearer abc');
  });

  it('keeps stored values when a client sends masked headers back, and takes new ones', () => {
    const incoming = { ...maskSubscriptionForRead(stored), channel: { ...stored.channel, header: ['Authorization: ***', 'X-Tenant: cpts-2'] } };
    expect(restoreMaskedHeaders(incoming, stored).channel.header).toEqual(['Authorization: Bearer abc', 'X-Tenant: cpts-2']);
    // A masked header with no stored value is dropped rather than sent as "***".
    expect(restoreMaskedHeaders({ ...stored, channel: { ...stored.channel, header: ['X-Other: ***'] } }, stored).channel.header).toEqual([]);
  });

  it('stores a new or changed subscription as requested: only the handshake activates it', () => {
    expect(prepareSubscriptionWrite({ ...stored, status: 'active' }, undefined).status).toBe('requested');
    expect(prepareSubscriptionWrite({ ...stored, channel: { ...stored.channel, endpoint: 'https://ehr.example.fr/hooks/2' } }, stored).status).toBe('requested');
    expect(prepareSubscriptionWrite({ ...stored, reason: 'changed reason' }, stored).status).toBe('active');
    expect(prepareSubscriptionWrite({ ...stored, status: 'off' }, stored).status).toBe('off');
  });
});

describe('retry back-off', () => {
  const policy = { initialDelayMs: 1_000, maxDelayMs: 3_600_000, giveUpAfterMs: 24 * 3_600_000 };
  const first = new Date('2025-01-01T00:00:00Z');

  it('doubles the delay up to the ceiling', () => {
    const delays = [1, 2, 3, 4, 13, 20].map((n) => nextAttemptAt(policy, n, first, first)!.getTime() - first.getTime());
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 3_600_000, 3_600_000]);
  });

  it('gives up after 24 h by default, or after maxAttempts', () => {
    let now = first;
    let attempts = 1;
    for (;;) {
      const next = nextAttemptAt(policy, attempts, first, now);
      if (!next) break;
      now = next;
      attempts++;
    }
    expect(now.getTime() - first.getTime()).toBeLessThanOrEqual(24 * 3_600_000);
    expect(now.getTime() - first.getTime()).toBeGreaterThan(23 * 3_600_000);
    expect(nextAttemptAt({ ...policy, maxAttempts: 3 }, 3, first, first)).toBeUndefined();
  });
});

describe('topics in profiles/topics', () => {
  it('defines the six care-coordination topics as R4 Basic resources', () => {
    const topics = loadTopics();
    const byType = Object.fromEntries([...topics.values()].map((t) => [t.triggers[0].resourceType, [...t.triggers[0].interactions].sort()]));
    expect(byType).toEqual({
      CarePlan: ['create', 'delete', 'update'],
      Task: ['create', 'update'],
      Appointment: ['create', 'update'],
      DocumentReference: ['create'],
      Communication: ['create'],
      // Its second trigger, update, fires only when the set of members changed (fhirPathCriteria).
      CareTeam: ['create'],
    });
    expect([...topics.values()].every((t) => t.resource.resourceType === 'Basic')).toBe(true);
  });
});

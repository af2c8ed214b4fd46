// Checks on Subscription create/update (R4 §2.46.5: the server decides activation; Backport IG topic and filter rules).
import type { OperationOutcomeIssue, Subscription } from '@medplum/fhirtypes';
import { issue } from '../fhir/errors';
import type { HubContext } from '../fhir/hub-context';
import { channelProblem, restoreMaskedHeaders } from './endpoint-policy';
import { criteriaProblem } from './lifecycle';
import { parseSubscription } from './model';
import type { Topic } from './topics';

/** Problems that make a Subscription unacceptable (answer 422 with them); empty when it can be stored. */
export function validateSubscription(ctx: HubContext, sub: Subscription, endpointAllow: string[], topics: Map<string, Topic>): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const channel = channelProblem(sub, endpointAllow);
  if (channel) issues.push(issue({ code: 'business-rule', text: channel, expression: 'Subscription.channel' }));
  const criteria = criteriaProblem(ctx, parseSubscription({ ...sub, id: sub.id ?? 'new' }, 0), topics);
  if (criteria) issues.push(issue({ code: 'business-rule', text: criteria, expression: 'Subscription.criteria' }));
  return issues;
}

function sameDelivery(a: Subscription, b: Subscription): boolean {
  return a.criteria === b.criteria && JSON.stringify(a.channel) === JSON.stringify(b.channel) && JSON.stringify((a as { _criteria?: unknown })._criteria) === JSON.stringify((b as { _criteria?: unknown })._criteria);
}

/**
 * What to store for a client's create or update: masked headers sent back keep their stored values, and a client
 * cannot make a subscription active itself — a new or changed one asking for `active` is stored as `requested`
 * and activated by the handshake. `off` and `requested` are taken as given.
 */
export function prepareSubscriptionWrite(incoming: Subscription, stored: Subscription | undefined): Subscription {
  const restored = restoreMaskedHeaders(incoming, stored);
  const out: Subscription = { ...restored };
  if (out.status === 'active' || out.status === 'error') {
    const unchanged = stored && stored.status === out.status && sameDelivery(stored, out);
    if (!unchanged) out.status = 'requested';
  }
  if (out.status !== 'error') delete out.error;
  else if (stored?.error) out.error = stored.error;
  return out;
}

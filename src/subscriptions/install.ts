// What every hub process needs of subscriptions, worker or not: the Subscription write rule and the operations.
import type { HubContext } from '../fhir/hub-context';
import { resolveOptions } from './options';
import { registerSubscriptionOperations, websocketUrl } from './routes';
import { loadTopics } from './topics';
import { subscriptionWriteRule } from './write-rule';

export function installSubscriptions(ctx: HubContext): void {
  const { endpointAllow } = resolveOptions(ctx.config.subscriptions.options);
  const topics = loadTopics();
  ctx.writeRules ??= new Map();
  ctx.writeRules.set('Subscription', subscriptionWriteRule(ctx, endpointAllow, topics));
  registerSubscriptionOperations();
  // R4 §2.46.7.2: where websockets connect; Backport IG: the topics a client may subscribe to.
  ctx.restExtensions = [
    ...(ctx.restExtensions ?? []),
    { url: 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-websocket', valueUrl: websocketUrl(ctx.config.baseUrl) },
    ...[...topics.keys()].sort().map((url) => ({ url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/capabilitystatement-subscriptiontopic-canonical', valueCanonical: url })),
  ];
}

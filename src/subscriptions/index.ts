// Subscriptions (FHIR R4 §2.46 and the R5 Subscriptions Backport IG): what the hub and the router call.
export { startSubscriptions, type StartOptions, type SubscriptionsHandle } from './worker';
export { optionsFromEnv, resolveOptions, type SubscriptionOptions, type RetryPolicy } from './options';
export { OWNER_EXTENSION, type SubscriptionOwner } from './access';
export { subscriptionWriteRule } from './write-rule';
export { maskSubscriptionForRead, restoreMaskedHeaders, isEndpointAllowed, channelProblem, MASK } from './endpoint-policy';
export { subscriptionStatus, subscriptionEvents, eventsQueryFromParams, type EventsQuery } from './operations';
export { readDeliveryLog, type DeliveryLogEntry } from './status';
export { validateSubscription, prepareSubscriptionWrite } from './validate';
export { loadTopics, type Topic } from './topics';
export { WebsocketChannel, type WebsocketChannelOptions } from './websocket-server';
export { websocketUrl, WEBSOCKET_PATH } from './routes';

// Notification Bundles for R4 (Backport IG: backport-subscription-notification-r4 with a backport-subscription-status-r4 Parameters first).
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { BACKPORT, type PayloadContent, type ParsedSubscription } from './model';

export type NotificationType = 'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';

/** One event as it appears in a notification: its number, time, focus and (full-resource) the resource version. */
export interface NotificationEvent {
  eventNumber: number;
  timestamp: string;
  resType: string;
  resId: string;
  version: number;
  action: 'create' | 'update' | 'delete';
  /** The resource at that version, for full-resource payloads; absent for deletions. */
  resource?: Resource;
}

export interface StatusInput {
  sub: ParsedSubscription;
  baseUrl: string;
  status: string;
  type: NotificationType;
  eventsSinceStart: number;
  events: NotificationEvent[];
  content: PayloadContent;
  error?: string;
}

/** The SubscriptionStatus equivalent for R4: a Parameters resource (profile backport-subscription-status-r4). */
export function statusParameters(input: StatusInput): Parameters {
  const { sub, baseUrl } = input;
  const parameter: ParametersParameter[] = [{ name: 'subscription', valueReference: { reference: `${baseUrl}/Subscription/${sub.id}` } }];
  // The topic SHOULD NOT appear with empty payloads (it could reveal what the event is about).
  if (sub.topicUrl && input.content !== 'empty') parameter.push({ name: 'topic', valueCanonical: sub.topicUrl });
  parameter.push({ name: 'status', valueCode: input.status }, { name: 'type', valueCode: input.type });
  parameter.push({ name: 'events-since-subscription-start', valueString: String(input.eventsSinceStart) });
  for (const e of input.events) {
    const part: ParametersParameter[] = [
      { name: 'event-number', valueString: String(e.eventNumber) },
      { name: 'timestamp', valueInstant: e.timestamp },
    ];
    if (input.content !== 'empty') part.push({ name: 'focus', valueReference: { reference: `${baseUrl}/${e.resType}/${e.resId}` } });
    parameter.push({ name: 'notification-event', part });
  }
  if (input.error) {
    parameter.push({ name: 'error', valueCodeableConcept: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscription-error', code: 'no-response' }], text: input.error } });
  }
  return { resourceType: 'Parameters', id: randomUUID(), meta: { profile: [`${BACKPORT}/backport-subscription-status-r4`] }, parameter };
}

function resourceEntry(e: NotificationEvent, baseUrl: string): BundleEntry {
  const fullUrl = `${baseUrl}/${e.resType}/${e.resId}`;
  if (e.action === 'delete') {
    return { fullUrl, request: { method: 'DELETE', url: `${e.resType}/${e.resId}` }, response: { status: '204' } };
  }
  const created = e.action === 'create';
  return {
    fullUrl,
    resource: e.resource,
    request: created ? { method: 'POST', url: e.resType } : { method: 'PUT', url: `${e.resType}/${e.resId}` },
    response: { status: created ? '201' : '200', etag: `W/"${e.version}"` },
  };
}

/** A notification Bundle (type history): the status Parameters first, then the resources for full-resource payloads. */
export function notificationBundle(input: StatusInput): Bundle {
  const status = statusParameters(input);
  const entry: BundleEntry[] = [
    {
      fullUrl: `urn:uuid:${status.id}`,
      resource: status,
      request: { method: 'GET', url: `${input.baseUrl}/Subscription/${input.sub.id}/$status` },
      response: { status: '200' },
    },
  ];
  if (input.content === 'full-resource') {
    for (const e of input.events) entry.push(resourceEntry(e, input.baseUrl));
  }
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { profile: [`${BACKPORT}/backport-subscription-notification-r4`] },
    type: 'history',
    timestamp: new Date().toISOString(),
    entry,
  };
}

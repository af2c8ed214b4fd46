// Reads a Subscription (FHIR R4 §2.46 Subscription; Backport IG profile backport-subscription) into what delivery needs.
import type { Extension, Subscription } from '@medplum/fhirtypes';
import type { SubscriptionOwner } from './access';

export const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const BACKPORT_SUBSCRIPTION_PROFILE = `${BACKPORT}/backport-subscription`;
export const EXT = {
  filterCriteria: `${BACKPORT}/backport-filter-criteria`,
  heartbeatPeriod: `${BACKPORT}/backport-heartbeat-period`,
  timeout: `${BACKPORT}/backport-timeout`,
  maxCount: `${BACKPORT}/backport-max-count`,
  payloadContent: `${BACKPORT}/backport-payload-content`,
} as const;

export type PayloadContent = 'empty' | 'id-only' | 'full-resource';
export type SubscriptionStatusCode = 'requested' | 'active' | 'error' | 'off';

export interface ParsedSubscription {
  id: string;
  /** The stored version the parse comes from. */
  version: number;
  status: SubscriptionStatusCode;
  /** criteria = an R4 search (`Task?owner=...`); topic = a backport topic canonical URL with filters. */
  kind: 'criteria' | 'topic';
  /** Criteria subscriptions: the resource type and search parameters. */
  resourceType?: string;
  params: [string, string][];
  /** Topic subscriptions: the topic URL and the filters, each `Type?name=value` or `name=value`. */
  topicUrl?: string;
  filters: string[];
  endpoint?: string;
  /** Channel headers as written, `Name: value`. */
  headers: string[];
  /** Mime type of channel.payload; absent = no body (R4) or empty content (backport). */
  payloadMime?: string;
  content: PayloadContent;
  heartbeatSeconds?: number;
  timeoutSeconds?: number;
  channelType: string;
  end?: string;
  owner: SubscriptionOwner;
}

function ext(list: Extension[] | undefined, url: string): Extension | undefined {
  return list?.find((e) => e.url === url);
}

function extNumber(list: Extension[] | undefined, url: string): number | undefined {
  const e = ext(list, url);
  const v = e?.valueUnsignedInt ?? e?.valuePositiveInt ?? e?.valueInteger;
  return typeof v === 'number' ? v : undefined;
}

/** `Task?owner=Organization/x&status=requested` → type and ordered parameters. */
export function splitCriteria(criteria: string): { resourceType: string; params: [string, string][] } {
  const q = criteria.indexOf('?');
  const resourceType = (q < 0 ? criteria : criteria.slice(0, q)).trim().replace(/^\//, '');
  const query = q < 0 ? '' : criteria.slice(q + 1);
  const params: [string, string][] = [];
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    params.push([name, value]);
  }
  return { resourceType, params };
}

export function isTopicBased(sub: Subscription): boolean {
  return (sub.meta?.profile ?? []).includes(BACKPORT_SUBSCRIPTION_PROFILE) || /^https?:\/\/[^?]+$/.test(sub.criteria ?? '') && /SubscriptionTopic/.test(sub.criteria ?? '');
}

export function parseSubscription(sub: Subscription, version: number): ParsedSubscription {
  const channel = sub.channel ?? ({} as Subscription['channel']);
  const topic = isTopicBased(sub);
  const payloadExt = (channel as { _payload?: { extension?: Extension[] } })._payload?.extension;
  const content = (ext(payloadExt, EXT.payloadContent)?.valueCode as PayloadContent | undefined) ?? (channel.payload ? 'id-only' : 'empty');
  const parsed: ParsedSubscription = {
    id: sub.id!,
    version,
    status: (sub.status as SubscriptionStatusCode) ?? 'requested',
    kind: topic ? 'topic' : 'criteria',
    params: [],
    filters: [],
    endpoint: channel.endpoint,
    headers: channel.header ?? [],
    payloadMime: channel.payload,
    content: channel.payload ? content : 'empty',
    heartbeatSeconds: extNumber(channel.extension, EXT.heartbeatPeriod),
    timeoutSeconds: extNumber(channel.extension, EXT.timeout),
    channelType: channel.type ?? 'rest-hook',
    end: sub.end,
    // Who it acts for is kept beside the resource (subscription_private); SubscriptionCache fills it in.
    owner: { subscriptionId: sub.id! },
  };
  if (topic) {
    parsed.topicUrl = sub.criteria;
    const criteriaExt = (sub as { _criteria?: { extension?: Extension[] } })._criteria?.extension;
    parsed.filters = (criteriaExt ?? []).filter((e) => e.url === EXT.filterCriteria && e.valueString).map((e) => e.valueString!);
  } else if (sub.criteria) {
    const { resourceType, params } = splitCriteria(sub.criteria);
    parsed.resourceType = resourceType;
    parsed.params = params;
  }
  return parsed;
}

/** Channel headers as name/value pairs for an HTTP request; malformed lines are skipped. */
export function headerPairs(headers: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const line of headers) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return out;
}

// The rest-hook channel (FHIR R4 §2.46.7.1; Backport IG "Channels": rest-hook): one HTTP request per notification.
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { headerPairs, type ParsedSubscription } from './model';
import type { NotificationEvent } from './notification-bundle';

export interface HttpOutcome {
  ok: boolean;
  status?: number;
  latencyMs: number;
  error?: string;
}

export interface HttpCall {
  method: 'POST' | 'PUT' | 'DELETE';
  url: string;
  body?: string;
  contentType?: string;
}

/** Sends one request; 2xx is success, anything else (status, timeout, refused connection) a failure with a reason. */
export async function sendHttp(call: HttpCall, sub: ParsedSubscription, timeoutMs: number): Promise<HttpOutcome> {
  const headers = new Headers();
  for (const [name, value] of headerPairs(sub.headers)) {
    try {
      headers.append(name, value);
    } catch {
      // An invalid header line is left out rather than failing every delivery.
    }
  }
  if (call.contentType) headers.set('Content-Type', call.contentType);
  const started = performance.now();
  try {
    const res = await fetch(call.url, { method: call.method, headers, body: call.body, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await res.arrayBuffer().catch(() => undefined);
    const latencyMs = Math.round(performance.now() - started);
    const ok = res.status >= 200 && res.status < 300;
    return { ok, status: res.status, latencyMs, error: ok ? undefined : `HTTP ${res.status}` };
  } catch (err) {
    const latencyMs = Math.round(performance.now() - started);
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const reason = e.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, latencyMs, error: reason };
  }
}

function join(endpoint: string, path: string): string {
  return `${endpoint.replace(/\/$/, '')}/${path}`;
}

/**
 * The request for one event of an R4 criteria subscription: without payload, a POST with no body;
 * with a payload, the resource itself, PUT at [endpoint]/[type]/[id] (DELETE there for a deletion).
 */
export function criteriaEventCall(sub: ParsedSubscription, event: NotificationEvent): HttpCall {
  const endpoint = sub.endpoint!;
  if (!sub.payloadMime) return { method: 'POST', url: endpoint };
  const url = join(endpoint, `${event.resType}/${event.resId}`);
  if (event.action === 'delete' || !event.resource) return { method: 'DELETE', url };
  return { method: 'PUT', url, body: JSON.stringify(event.resource as Resource), contentType: sub.payloadMime };
}

/** A topic-based notification (or handshake, heartbeat): the Bundle, POSTed to the endpoint. */
export function bundleCall(sub: ParsedSubscription, bundle: Bundle): HttpCall {
  return { method: 'POST', url: sub.endpoint!, body: JSON.stringify(bundle), contentType: sub.payloadMime ?? 'application/fhir+json' };
}

/** The handshake of an R4 criteria subscription: a POST with no body the endpoint must accept. */
export function criteriaHandshakeCall(sub: ParsedSubscription): HttpCall {
  return { method: 'POST', url: sub.endpoint! };
}

export function timeoutFor(sub: ParsedSubscription, defaultMs: number): number {
  return sub.timeoutSeconds ? sub.timeoutSeconds * 1000 : defaultMs;
}

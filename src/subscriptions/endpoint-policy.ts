// Channel security (FHIR R4 §2.46.8; Backport IG "Safety and Security"): endpoint allow-list and header credentials kept out of reads.
import type { Subscription } from '@medplum/fhirtypes';

/** The value shown in reads in place of a channel header's value. */
export const MASK = '***';

/**
 * True when the endpoint starts with one of the allowed prefixes. Prefixes compare on the parsed URL
 * (scheme, host, port, then path), so `http://127.0.0.1` does not allow `http://127.0.0.1.evil.example`.
 */
export function isEndpointAllowed(endpoint: string | undefined, allow: string[]): boolean {
  if (!endpoint) return false;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.username || url.password) return false;
  return allow.some((prefix) => {
    let p: URL;
    try {
      p = new URL(prefix);
    } catch {
      return false;
    }
    if (p.protocol !== url.protocol || p.hostname !== url.hostname) return false;
    // An allow entry without a port allows any port on that host (loopback receivers use random ports).
    if (p.port && p.port !== url.port) return false;
    const base = p.pathname.endsWith('/') ? p.pathname : `${p.pathname}/`;
    return p.pathname === '/' || url.pathname === p.pathname || url.pathname.startsWith(base);
  });
}

/** Why a subscription cannot be delivered through its channel, or undefined when it can. */
export function channelProblem(sub: Subscription, allow: string[]): string | undefined {
  const type = sub.channel?.type;
  if (type === 'websocket') return undefined;
  if (type !== 'rest-hook') return `Channel type "${type ?? ''}" is not supported (rest-hook and websocket are)`;
  if (!sub.channel.endpoint) return 'The rest-hook channel has no endpoint';
  if (!isEndpointAllowed(sub.channel.endpoint, allow)) return `Endpoint ${sub.channel.endpoint} is not in the allowed list of endpoints`;
  return undefined;
}

function headerName(line: string): string | undefined {
  const colon = line.indexOf(':');
  return colon > 0 ? line.slice(0, colon).trim() : undefined;
}

/**
 * The Subscription as it may be returned in a read or search: every channel header value replaced by `***`
 * (header values are where credentials live; the name stays so clients see which headers are set).
 */
export function maskSubscriptionForRead<T extends { resourceType: string }>(resource: T): T {
  if (resource.resourceType !== 'Subscription') return resource;
  const sub = resource as unknown as Subscription;
  if (!sub.channel?.header?.length) return resource;
  const header = sub.channel.header.map((line) => {
    const name = headerName(line);
    return name ? `${name}: ${MASK}` : MASK;
  });
  return { ...sub, channel: { ...sub.channel, header } } as unknown as T;
}

/**
 * For updates: a header sent back masked (`Name: ***`) keeps the stored value of that header,
 * so a client can read, change and PUT a Subscription without erasing its credentials.
 */
export function restoreMaskedHeaders(incoming: Subscription, stored: Subscription | undefined): Subscription {
  const lines = incoming.channel?.header;
  if (!lines?.length) return incoming;
  const storedByName = new Map<string, string>();
  for (const line of stored?.channel?.header ?? []) {
    const name = headerName(line);
    if (name) storedByName.set(name.toLowerCase(), line);
  }
  const header = lines
    .map((line) => {
      const name = headerName(line);
      const masked = name !== undefined && line.slice(line.indexOf(':') + 1).trim() === MASK;
      if (!masked) return line;
      return storedByName.get(name!.toLowerCase());
    })
    .filter((line): line is string => line !== undefined);
  return { ...incoming, channel: { ...incoming.channel, header } };
}

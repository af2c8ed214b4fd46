// Load phases with autocannon, in the benchmark process: a short warm-up, then a bounded measured run.
import autocannon, { type Request } from 'autocannon';
import { startCpuCount, type CpuShares, type Watched } from './cpu-usage';

export interface LoadOptions {
  connections: number;
  warmupSeconds: number;
  seconds: number;
}

export interface LoadResult {
  perSecond: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers, socket errors and timeouts: any of them makes the figure suspect. */
  failed: number;
  statuses: string;
  /** Cores used on average by each side during the measured run. */
  cpu: CpuShares;
}

async function measure(url: string, request: Request, connections: number, seconds: number, watched?: Watched): Promise<LoadResult> {
  const cpu = startCpuCount(watched);
  const r = await autocannon({ url, connections, duration: seconds, timeout: 30, requests: [request] });
  const ok = r['2xx']; // and autocannon's latency percentiles cover 2xx answers only
  return {
    perSecond: ok / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    failed: r.non2xx + r.errors + r.timeouts,
    statuses: Object.entries(r.statusCodeStats).map(([code, s]) => `${code}×${s.count}`).join(' '),
    cpu: cpu(),
  };
}

export async function runLoad(url: string, request: Request, opts: LoadOptions, watched?: Watched): Promise<LoadResult> {
  if (opts.warmupSeconds > 0) await measure(url, request, opts.connections, opts.warmupSeconds);
  return measure(url, request, opts.connections, opts.seconds, watched);
}

/** GET of a random id from `paths` at each request. */
export function randomReads(paths: string[]): Request {
  return {
    method: 'GET',
    headers: { accept: 'application/fhir+json' },
    setupRequest: (req) => ({ ...req, path: paths[Math.floor(Math.random() * paths.length)] }),
  };
}

/** POST of a body built anew for each request. */
export function randomPosts(path: string, makeBody: () => string, contentType: string): Request {
  return {
    method: 'POST',
    path,
    headers: { 'content-type': contentType, accept: 'application/fhir+json' },
    setupRequest: (req) => ({ ...req, body: makeBody() }),
  };
}

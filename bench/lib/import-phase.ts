// (a) Import: every Synthea bundle POSTed one after the other over HTTP, as a client loading a server would.
// The hub processes each as a FHIR transaction/batch; the baseline inserts each bundle's resources in one INSERT.
import { startCpuCount, type CpuShares, type Watched } from './cpu-usage';
import type { BundleText } from './synthea';

export interface ImportResult {
  resources: number;
  failures: number;
  seconds: number;
  perSecond: number;
  /** "Type/id" of each stored resource in bundle-entry order (null where an entry failed). */
  ids: (string | null)[];
  firstFailure?: string;
  cpu: CpuShares;
}

type Poster = (text: string) => Promise<{ ids: (string | null)[]; failure?: string }>;

const BUNDLE_TIMEOUT_MS = 120_000;

async function post(url: string, text: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
    body: text,
    signal: AbortSignal.timeout(BUNDLE_TIMEOUT_MS),
  });
}

/** The hub answers a transaction-response / batch-response: one entry per input entry. */
export function hubPoster(baseUrl: string): Poster {
  return async (text) => {
    const res = await post(`${baseUrl}/fhir`, text);
    const body = (await res.json()) as { entry?: { response?: { status?: string; location?: string; outcome?: unknown } }[] };
    if (!res.ok) return { ids: [], failure: `HTTP ${res.status}: ${JSON.stringify(body).slice(0, 400)}` };
    let failure: string | undefined;
    const ids = (body.entry ?? []).map((e) => {
      const m = /([A-Z][A-Za-z]+\/[^/]+)\/_history\//.exec(e.response?.location ?? '');
      if (!m && !failure) failure = `${e.response?.status}: ${JSON.stringify(e.response?.outcome ?? '').slice(0, 400)}`;
      return m ? m[1] : null;
    });
    return { ids, failure };
  };
}

export function baselinePoster(baseUrl: string): Poster {
  return async (text) => {
    const res = await post(`${baseUrl}/bulk`, text);
    if (!res.ok) return { ids: [], failure: `HTTP ${res.status}: ${(await res.text()).slice(0, 400)}` };
    return { ids: ((await res.json()) as { ids: string[] }).ids };
  };
}

export async function runImport(bundles: BundleText[], postBundle: Poster, watched?: Watched): Promise<ImportResult> {
  const cpu = startCpuCount(watched);
  const ids: (string | null)[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  const started = process.hrtime.bigint();
  for (const b of bundles) {
    const r = await postBundle(b.text).catch((err: Error) => ({ ids: [] as (string | null)[], failure: err.message }));
    // An entry the server did not store counts as a failure, never as imported.
    const stored = r.ids.filter((x) => x !== null).length;
    failures += b.resources - stored;
    if (r.failure && !firstFailure) firstFailure = `${b.file}: ${r.failure}`;
    ids.push(...(r.ids.length === b.resources ? r.ids : new Array(b.resources).fill(null)));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const resources = ids.filter((x) => x !== null).length;
  return { resources, failures, seconds, perSecond: resources / seconds, ids, firstFailure, cpu: cpu() };
}

/** Read targets: every `step`-th stored resource, the same positions on every server (same JSON). */
export function sampleIds(ids: (string | null)[], step = 17, max = 5_000): string[] {
  const out: string[] = [];
  for (let i = 0; i < ids.length && out.length < max; i += step) if (ids[i]) out.push(ids[i]!);
  return out;
}

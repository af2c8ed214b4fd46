// Imports transaction/batch Bundles and NDJSON through the FHIR API semantics (same validation and indexing).
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { FhirError } from '../fhir/errors';
import type { HubContext } from '../fhir/hub-context';
import { processBundle } from '../fhir/bundle/process';
import { newRequest } from '../fhir/request';
import { readText } from './read-files';

export interface FileReport {
  file: string;
  resources: number;
  failures: { where: string; message: string }[];
}

const NDJSON_BATCH = 500;

function asTransaction(resources: Resource[]): Bundle {
  const entry: BundleEntry[] = resources.map((r) =>
    r.id ? { resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } } : { resource: r, request: { method: 'POST', url: r.resourceType } },
  );
  return { resourceType: 'Bundle', type: 'transaction', entry };
}

/** The problem in one line; for a FhirError each issue with the element it points at, so it can be fixed. */
function message(err: unknown): string {
  if (!(err instanceof FhirError)) return (err as Error).message ?? String(err);
  const texts = err.outcome.issue.map((i) => `${i.diagnostics ?? i.details?.text ?? i.code}${i.expression?.length ? ` (${i.expression.join(', ')})` : ''}`);
  return [...new Set(texts)].join('; ');
}

async function postBundle(ctx: HubContext, bundle: Bundle): Promise<{ ok: number; failures: { where: string; message: string }[] }> {
  const out = await processBundle(ctx, newRequest('POST', [], { body: bundle, headers: { prefer: 'return=minimal' } }));
  const response = out.resource as Bundle;
  const failures: { where: string; message: string }[] = [];
  let ok = 0;
  (response.entry ?? []).forEach((e, i) => {
    if (/^2\d\d/.test(e.response?.status ?? '')) ok++;
    else failures.push({ where: `entry ${i}`, message: e.response?.outcome?.issue?.[0]?.diagnostics ?? e.response?.status ?? 'failed' });
  });
  return { ok, failures };
}

/** Bundles to post for one file; NDJSON goes in transactions of NDJSON_BATCH resources. */
function bundlesOf(file: string, text: string, report: FileReport): Bundle[] {
  if (!/\.ndjson(\.bz2)?$/.test(file)) {
    const json = JSON.parse(text) as Resource;
    const isBundle = json.resourceType === 'Bundle' && ((json as Bundle).type === 'transaction' || (json as Bundle).type === 'batch');
    return [isBundle ? (json as Bundle) : asTransaction([json])];
  }
  const bundles: Bundle[] = [];
  const lines = text.split('\n').filter((l) => l.trim());
  for (let i = 0; i < lines.length; i += NDJSON_BATCH) {
    try {
      bundles.push(asTransaction(lines.slice(i, i + NDJSON_BATCH).map((l) => JSON.parse(l))));
    } catch (err) {
      report.failures.push({ where: `lines ${i + 1}-${Math.min(i + NDJSON_BATCH, lines.length)}`, message: message(err) });
    }
  }
  return bundles;
}

/** Never throws: an unreadable file or invalid JSON is a failure of that file, and the import goes on. */
export async function importFile(ctx: HubContext, file: string): Promise<FileReport> {
  const report: FileReport = { file, resources: 0, failures: [] };
  let bundles: Bundle[];
  try {
    bundles = bundlesOf(file, await readText(file), report);
  } catch (err) {
    report.failures.push({ where: 'file', message: message(err) });
    return report;
  }
  for (const bundle of bundles) {
    try {
      const r = await postBundle(ctx, bundle);
      report.resources += r.ok;
      report.failures.push(...r.failures);
    } catch (err) {
      report.failures.push({ where: 'bundle', message: message(err) });
    }
  }
  return report;
}

// Bundle response entries (FHIR R4 §2.36.0.3 Bundle.entry.response) and errors tied to their entry.
import type { BundleEntry, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { FhirError, issue } from '../errors';
import type { FhirRequest, FhirResponse } from '../request';
import { statusText } from './entry-request';

export interface EntryResult {
  response: FhirResponse;
  lastModified?: string;
}

export function responseEntry(r: EntryResult): BundleEntry {
  const { status, headers } = r.response;
  const entry: BundleEntry = { response: { status: statusText(status) } };
  if (headers.Location) entry.response!.location = headers.Location;
  if (headers.ETag) entry.response!.etag = headers.ETag;
  const lm = r.lastModified ?? headers['Last-Modified'];
  if (lm) entry.response!.lastModified = new Date(lm).toISOString();
  const resource = r.response.resource ?? (r.response.json ? JSON.parse(r.response.json) : undefined);
  if (resource?.resourceType === 'OperationOutcome') entry.response!.outcome = resource;
  else if (resource) entry.resource = resource;
  return entry;
}

/** Re-raises an entry's failure with the entry named, its issues' expressions rooted in the Bundle. */
export function entryFailure(err: unknown, index: number, req: FhirRequest): unknown {
  if (!(err instanceof FhirError)) return err;
  const root = `Bundle.entry[${index}].resource`;
  const issues: OperationOutcomeIssue[] = err.outcome.issue.map((i) => ({
    ...i,
    expression: i.expression?.map((e) => (e.startsWith('Bundle.') ? e : e.replace(/^[A-Z][A-Za-z]+/, root))),
  }));
  issues.unshift(issue({ severity: 'error', code: 'processing', text: `Entry ${index} (${req.method} ${req.path.join('/')}) failed: ${err.message}`, expression: `Bundle.entry[${index}]` }));
  return new FhirError(err.status, issues);
}

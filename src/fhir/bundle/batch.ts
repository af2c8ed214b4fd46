// batch (FHIR R4 §3.1.0.11.1): entries run independently, each in its own transaction, each reported.
import type { Bundle, BundleEntry, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { FhirError, errors, issue, outcome } from '../errors';
import type { HubContext } from '../hub-context';
import type { FhirRequest, FhirResponse } from '../request';
import { dispatch } from '../router';
import { entryRequest, statusText } from './entry-request';
import { resolveConditionalReference, visitReferences } from './references';
import { responseEntry } from './entry-response';
import { logger } from '../../logger';

async function resolveReferences(ctx: HubContext, req: FhirRequest, index: number): Promise<void> {
  if (typeof req.body !== 'object' || req.body === null || req.method === 'PATCH') return;
  const holders: { ref: string; holder: Record<string, unknown> }[] = [];
  visitReferences(req.body, (ref, holder) => holders.push({ ref, holder }));
  if (!holders.some((h) => h.ref.includes('?'))) return;
  await ctx.db.transaction(async (tx) => {
    const cache = new Map<string, string>();
    for (const { ref, holder } of holders) {
      if (ref.includes('?')) holder.reference = await resolveConditionalReference(ctx, tx, ref, cache, `Bundle.entry[${index}].resource`);
    }
  });
}

function failureEntry(err: unknown): BundleEntry {
  if (err instanceof FhirError) return { response: { status: statusText(err.status), outcome: err.outcome } };
  logger.error({ err }, 'batch entry failed');
  return { response: { status: statusText(500), outcome: outcome([issue({ code: 'exception', text: 'Internal error while processing this entry' })]) } };
}

/** entryIssues: structural errors found in each entry before it runs; such an entry fails alone. */
export async function processBatch(ctx: HubContext, bundle: Bundle, prefer: string | undefined, entryIssues: OperationOutcomeIssue[][] = []): Promise<FhirResponse> {
  const entries: BundleEntry[] = [];
  for (const [index, e] of (bundle.entry ?? []).entries()) {
    try {
      if (entryIssues[index]?.length) throw errors.unprocessable(entryIssues[index]);
      const req = entryRequest(e, index, ctx.config.baseUrl);
      // Each entry re-enters the router on its own; a Bundle inside a batch is refused like one inside a transaction.
      if (req.path.length === 0) throw errors.badRequest(`Entry ${index}: a batch cannot hold a batch or transaction`, `Bundle.entry[${index}].request.url`, 'HUB-0468');
      req.headers.prefer = prefer ?? 'return=minimal';
      await resolveReferences(ctx, req, index);
      entries.push(responseEntry({ response: await dispatch(ctx, req) }));
    } catch (err) {
      entries.push(failureEntry(err));
    }
  }
  const response: Bundle = { resourceType: 'Bundle', type: 'batch-response' };
  if (entries.length > 0) response.entry = entries;
  return { status: 200, resource: response, headers: {} };
}

// POST of a Bundle to the base (FHIR R4 §3.1.0.11): batch or transaction.
import type { Bundle, BundleEntry, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import type { FhirRequest, FhirResponse } from '../request';
import { processBatch } from './batch';
import { processTransaction } from './transaction';

const isError = (i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal';

/**
 * The structure of one entry without its resource (validated when the entry runs), checked apart so that
 * a batch can report it against that entry alone. An entry holding only a resource is left to
 * entryRequest, which names the missing request.
 */
function entryShellIssues(ctx: HubContext, type: Bundle['type'], entry: unknown, index: number): OperationOutcomeIssue[] {
  let shell = entry;
  if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
    const { resource: _resource, ...rest } = entry as BundleEntry;
    if (Object.keys(rest).length === 0) return [];
    shell = rest;
  }
  const issues = ctx.validate({ resourceType: 'Bundle', type, entry: [shell] } as Bundle).filter(isError);
  return issues.map((i) => ({ ...i, expression: i.expression?.map((e) => e.replace(/^Bundle\.entry\[0\]/, `Bundle.entry[${index}]`)) }));
}

function withoutProfile(head: Omit<Bundle, 'entry'>): Omit<Bundle, 'entry'> {
  const { profile: _profile, ...meta } = head.meta ?? {};
  const { meta: _meta, ...rest } = head;
  return Object.keys(meta).length > 0 ? { ...rest, meta } : rest;
}

export async function processBundle(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const bundle = req.body as Bundle | undefined;
  if (typeof bundle !== 'object' || bundle === null || bundle.resourceType !== 'Bundle') {
    throw errors.badRequest('POST to the base takes a Bundle of type batch or transaction', 'Bundle', 'HUB-0467');
  }
  if (tx) throw errors.badRequest('A Bundle cannot be nested inside a batch or transaction', 'Bundle', 'HUB-0468');
  const { entry, ...head } = bundle;
  // The Bundle's own elements; a non-array entry is a structural error of the Bundle itself.
  // The head alone cannot be judged against meta.profile (a profile's entry slices need the entries): base R4 here,
  // the profiles on the whole Bundle where it is stored or processed.
  const bare = head.meta?.profile ? withoutProfile(head) : head;
  const headIssues = ctx.validate((Array.isArray(entry) ? bare : bundle) as Bundle);
  if (headIssues.some(isError)) throw errors.unprocessable(headIssues);
  if (bundle.type !== 'transaction' && bundle.type !== 'batch') {
    throw errors.badRequest(`Bundle.type must be batch or transaction to be processed, not "${bundle.type}"`, 'Bundle.type', 'HUB-0469');
  }
  const entryIssues = (entry ?? []).map((e, i) => entryShellIssues(ctx, bundle.type, e, i));
  if (bundle.type === 'transaction') {
    const all = entryIssues.flat();
    if (all.length > 0) throw errors.unprocessable(all);
    // A transaction a workflow takes over, e.g. IHE MHD ITI-65 provide bundles filed as letters (src/workflows/liaison).
    const intake = ctx.bundleIntakes?.find((i) => i.takes(bundle, 'transaction'));
    if (intake) return intake.run(ctx, req);
    return processTransaction(ctx, bundle, req.headers.prefer);
  }
  return processBatch(ctx, bundle, req.headers.prefer, entryIssues);
}

// POST of a Bundle to the base (FHIR R4 §3.1.0.11): batch or transaction.
import type { Bundle } from '@medplum/fhirtypes';
import type { Queryable } from '../../store/db';
import { errors } from '../errors';
import type { HubContext } from '../hub-context';
import type { FhirRequest, FhirResponse } from '../request';
import { processBatch } from './batch';
import { processTransaction } from './transaction';

export async function processBundle(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse> {
  const bundle = req.body as Bundle | undefined;
  if (typeof bundle !== 'object' || bundle === null || bundle.resourceType !== 'Bundle') {
    throw errors.badRequest('POST to the base takes a Bundle of type batch or transaction', 'Bundle', 'HUB-0467');
  }
  if (tx) throw errors.badRequest('A Bundle cannot be nested inside a batch or transaction', 'Bundle', 'HUB-0468');
  // Entry resources are validated when each entry runs; here only the Bundle's own structure.
  const shell = { ...bundle, entry: bundle.entry?.map(({ resource: _r, ...rest }) => rest) } as Bundle;
  const issues = ctx.validate(shell);
  if (issues.some((i) => i.severity === 'error' || i.severity === 'fatal')) throw errors.unprocessable(issues);
  if (bundle.type === 'transaction') return processTransaction(ctx, bundle, req.headers.prefer);
  if (bundle.type === 'batch') return processBatch(ctx, bundle, req.headers.prefer);
  throw errors.badRequest(`Bundle.type must be batch or transaction to be processed, not "${bundle.type}"`, 'Bundle.type', 'HUB-0469');
}

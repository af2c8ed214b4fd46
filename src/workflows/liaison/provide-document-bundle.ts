// ITI-65 Provide Document Bundle (IHE MHD 4.2 §2:3.65, ANS PDSm 3.1.1): POST [base] with the provide transaction;
// the answer is the transaction-response, each DocumentReference entry carrying its letter's report.
import type { Bundle } from '@medplum/fhirtypes';
import type { HubContext } from '../../fhir/hub-context';
import type { FhirResponse } from '../../fhir/request';
import { fileLetters } from './file-letters';
import { readProvideBundle } from './mhd-intake';

export async function provideDocumentBundle(ctx: HubContext, bundle: Bundle, prefer: string | undefined): Promise<FhirResponse> {
  const intake = await readProvideBundle(ctx, bundle);
  const filed = await fileLetters(ctx, intake.bundle, intake.letters, intake.submissionSets, prefer);
  return { status: 200, resource: filed.response, headers: {} };
}

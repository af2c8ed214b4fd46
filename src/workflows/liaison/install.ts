// Letters in (docs/letters.md): the hub's FHIR layer hands these Bundles to the liaison workflow.
import type { Bundle } from '@medplum/fhirtypes';
import type { HubContext } from '../../fhir/hub-context';
import { isDocumentBundle, submitDocumentBundle } from './document-bundle';
import { isProvideBundle } from './mhd-intake';
import { provideDocumentBundle } from './provide-document-bundle';

export function installLetters(ctx: HubContext): void {
  ctx.bundleIntakes = [
    ...(ctx.bundleIntakes ?? []),
    // IHE MHD ITI-65: POST [base] with a provide-bundle transaction.
    { takes: (bundle, via) => via === 'transaction' && isProvideBundle(bundle as Bundle), run: (c, req) => provideDocumentBundle(c, req.body as Bundle, req.headers.prefer) },
    // A FHIR document (R4 §3.3) POSTed to Bundle.
    { takes: (bundle, via) => via === 'create' && isDocumentBundle(bundle), run: submitDocumentBundle },
  ];
}

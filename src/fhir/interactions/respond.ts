// The answer to a write, shaped by the Prefer header (FHIR R4 §3.1.0.4 "return" preference).
import type { StoredVersion } from '../../store/resource-store';
import { issue, outcome } from '../errors';
import type { HubContext } from '../hub-context';
import { preferReturn, type FhirRequest, type FhirResponse } from '../request';
import { versionHeaders } from '../versioning';
import type { OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';

/** The OperationOutcome of a write: what was done, then the validation warnings of the resource written. */
export function writeOutcome(message: string, warnings: OperationOutcomeIssue[] = []): OperationOutcome {
  return outcome([issue({ severity: 'information', code: 'informational', text: message }), ...warnings]);
}

export function writeResponse(ctx: HubContext, req: FhirRequest, status: number, version: StoredVersion, resource: Resource | undefined, message: string, warnings: OperationOutcomeIssue[] = []): FhirResponse {
  const headers = versionHeaders(ctx.config.baseUrl, version);
  switch (preferReturn(req)) {
    case 'minimal':
      return { status, headers };
    case 'OperationOutcome':
      return { status, headers, resource: writeOutcome(message, warnings) };
    default:
      return resource ? { status, headers, resource } : { status, headers, json: version.content ?? undefined };
  }
}

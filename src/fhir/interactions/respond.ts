// The answer to a write, shaped by the Prefer header (FHIR R4 §3.1.0.4 "return" preference).
import type { StoredVersion } from '../../store/resource-store';
import { issue, outcome } from '../errors';
import type { HubContext } from '../hub-context';
import { preferReturn, type FhirRequest, type FhirResponse } from '../request';
import { versionHeaders } from '../versioning';
import type { Resource } from '@medplum/fhirtypes';

export function writeResponse(ctx: HubContext, req: FhirRequest, status: number, version: StoredVersion, resource: Resource | undefined, message: string): FhirResponse {
  const headers = versionHeaders(ctx.config.baseUrl, version);
  switch (preferReturn(req)) {
    case 'minimal':
      return { status, headers };
    case 'OperationOutcome':
      return { status, headers, resource: outcome([issue({ severity: 'information', code: 'informational', text: message })]) };
    default:
      return resource ? { status, headers, resource } : { status, headers, json: version.content ?? undefined };
  }
}

// Refusals of the security layer (RFC 6750 §3 bearer token errors), as the hub's one error type.
import { FhirError } from '../fhir/errors';

function bearerChallenge(error: string, description: string): string {
  return `Bearer realm="fhir-hub", error="${error}", error_description="${description.replace(/["\\]/g, "'")}"`;
}

export const securityErrors = {
  /** 401: no token, or one that cannot be trusted. */
  unauthenticated: (text: string, error: 'invalid_token' | 'invalid_request' = 'invalid_token') =>
    new FhirError(401, { code: 'login', text, id: 'HUB-0601' }, { 'WWW-Authenticate': bearerChallenge(error, text) }),
  /** 403: a valid token whose scopes do not cover the interaction. */
  insufficientScope: (text: string) =>
    new FhirError(403, { code: 'forbidden', text, id: 'HUB-0602' }, { 'WWW-Authenticate': bearerChallenge('insufficient_scope', text) }),
  /** 403: the professional is not known to the hub. */
  unknownProfessional: (text: string) => new FhirError(403, { code: 'forbidden', text, id: 'HUB-0603' }),
  /** 403: no care relationship, a patient's opposition, or a resource clients may not touch. */
  forbidden: (text: string) => new FhirError(403, { code: 'forbidden', text, id: 'HUB-0604' }),
  tooManyRequests: (text: string, retryAfterSeconds: number) =>
    new FhirError(429, { code: 'throttled', text, id: 'HUB-0629' }, { 'Retry-After': String(retryAfterSeconds) }),
};

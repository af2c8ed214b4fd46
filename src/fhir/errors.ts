// The one error type of the hub: an HTTP status plus an OperationOutcome (FHIR R4 §2.21 OperationOutcome).
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export type IssueSeverity = OperationOutcomeIssue['severity'];
export type IssueCode = OperationOutcomeIssue['code'];

/** Stable error codes: clients and logs can match on them whatever the wording. */
export const ERROR_SYSTEM = 'https://fhir-hub.fr/CodeSystem/error';

export interface IssueInput {
  severity?: IssueSeverity;
  code: IssueCode;
  text: string;
  expression?: string | string[];
  /** Catalog code such as HUB-0102. */
  id?: string;
}

export function issue(input: IssueInput): OperationOutcomeIssue {
  const out: OperationOutcomeIssue = {
    severity: input.severity ?? 'error',
    code: input.code,
    details: { text: input.text },
    diagnostics: input.text,
  };
  if (input.id) out.details = { coding: [{ system: ERROR_SYSTEM, code: input.id }], text: input.text };
  if (input.expression !== undefined) {
    out.expression = Array.isArray(input.expression) ? input.expression : [input.expression];
  }
  return out;
}

export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

export class FhirError extends Error {
  readonly status: number;
  readonly outcome: OperationOutcome;
  readonly headers: Record<string, string>;

  constructor(status: number, issues: OperationOutcomeIssue[] | IssueInput, headers: Record<string, string> = {}) {
    const list = Array.isArray(issues) ? issues : [issue(issues)];
    super(list.map((i) => i.diagnostics ?? i.details?.text ?? i.code).join('; '));
    this.status = status;
    this.outcome = outcome(list);
    this.headers = headers;
  }
}

// The catalog: one constructor per kind of failure, so the wording and code stay stable.
export const errors = {
  badRequest: (text: string, expression?: string, id = 'HUB-0400') =>
    new FhirError(400, { code: 'invalid', text, expression, id }),
  invalidJson: (text: string) => new FhirError(400, { code: 'structure', text, id: 'HUB-0401' }),
  unprocessable: (issues: OperationOutcomeIssue[]) => new FhirError(422, issues),
  unprocessableText: (text: string, expression?: string) => new FhirError(422, { code: 'business-rule', text, expression, id: 'HUB-0422R' }),
  forbidden: (text: string) => new FhirError(403, { code: 'forbidden', text, id: 'HUB-0403' }),
  notFound: (text: string) => new FhirError(404, { code: 'not-found', text, id: 'HUB-0404' }),
  gone: (text: string, headers: Record<string, string> = {}) =>
    new FhirError(410, { code: 'deleted', text, id: 'HUB-0410' }, headers),
  methodNotAllowed: (text: string) => new FhirError(405, { code: 'not-supported', text, id: 'HUB-0405' }),
  notAcceptable: (text: string) => new FhirError(406, { code: 'not-supported', text, id: 'HUB-0406' }),
  conflict: (text: string) => new FhirError(409, { code: 'conflict', text, id: 'HUB-0409' }),
  preconditionFailed: (text: string) => new FhirError(412, { code: 'conflict', text, id: 'HUB-0412' }),
  multipleMatches: (text: string) => new FhirError(412, { code: 'multiple-matches', text, id: 'HUB-0413' }),
  tooLarge: (text: string) => new FhirError(413, { code: 'too-costly', text, id: 'HUB-0413L' }),
  unsupportedMediaType: (text: string) => new FhirError(415, { code: 'not-supported', text, id: 'HUB-0415' }),
  notSupported: (text: string) => new FhirError(501, { code: 'not-supported', text, id: 'HUB-0501' }),
};

export function isFhirError(err: unknown): err is FhirError {
  return err instanceof FhirError;
}

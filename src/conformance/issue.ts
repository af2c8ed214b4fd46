// Shared shape of a validation finding, mirroring OperationOutcome.issue.

export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';

/** FHIR IssueType codes this project emits (the field stays a string so other checkers may add more). */
export type IssueCode =
  | 'structure'
  | 'value'
  | 'required'
  | 'code-invalid'
  | 'invalid'
  | 'invariant'
  | 'not-supported';

export interface Issue {
  severity: IssueSeverity;
  code: IssueCode | string;
  /** FHIRPath of the offending element, with array indexes. */
  expression?: string;
  diagnostics: string;
}

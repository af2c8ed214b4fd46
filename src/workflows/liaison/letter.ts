// What the hub knows of one received letter, whatever form it came in (FHIR document, MHD + PDF, MHD + CDA).
import type { DocumentReference, Identifier, OperationOutcomeIssue, Reference as FhirReference } from '@medplum/fhirtypes';

/** References here point at whatever the letter names; FHIR types narrow them per element. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Reference = FhirReference<any>;

export interface PatientTraits {
  /** The INS (NIR/NIA, or their test and demo systems). */
  ins?: Identifier;
  /** Other identifiers the sender gave: its IPP, under its own assigning authority. */
  local: Identifier[];
  birthName?: string;
  firstGiven?: string;
  birthDate?: string;
  gender?: string;
  /** A literal `Patient/id` of this hub the sender already knew. */
  hubId?: string;
}

export interface Letter {
  form: 'document' | 'mhd-pdf' | 'mhd-cda' | 'mhd';
  /** The DocumentReference to store, as it will be written (filled from the CDA header where the sender left gaps). */
  docRef: DocumentReference;
  /** The transaction fullUrl of the DocumentReference, so routing resources can point at it. */
  docRefUrl: string;
  /** Where the DocumentReference sits in the sender's Bundle, for issue expressions and the report. */
  where: string;
  patient: PatientTraits;
  /** Établissements the letter is sent for (custodian, author's organisation): the sender must be entitled to each. */
  finess: string[];
  /** Who the Communications come from: the custodian (the hospital) when known. */
  sender?: Reference;
  /** The end of the stay, for the follow-up Task's due date. */
  dischargeDate?: string;
  /** Notes found while reading the letter (e.g. fields filled from the CDA header). */
  notes: OperationOutcomeIssue[];
}

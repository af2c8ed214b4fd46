// A CDA R2 lettre de liaison against the DocumentReference that carries it (IHE MHD ITI-65 metadata must describe
// the document: CI-SIS header ↔ XDS metadata mapping): gaps are filled from the header, contradictions refused.
import type { DocumentReference, Identifier } from '@medplum/fhirtypes';
import type { CdaHeader } from '../../connectors/cda/cda-header';
import { OID } from '../../connectors/cda/cda-header';
import { errors, issue } from '../../fhir/errors';
import type { Letter } from './letter';
import { SYSTEM } from './vocabulary';

const CDA_INS = `ClinicalDocument/recordTarget/patientRole/id[@root='${OID.insNir}']`;
const GENDER: Record<string, string> = { M: 'male', F: 'female', U: 'unknown' };

/** The CDA's INS as a FHIR identifier. */
export function insIdentifier(h: CdaHeader): Identifier | undefined {
  return h.patient.ins ? { system: `urn:oid:${h.patient.ins.root}`, value: h.patient.ins.extension } : undefined;
}

/** Cross-checks and fills `letter` from the header; `docIns` is the INS the DocumentReference designates, if any. */
export function applyCdaHeader(letter: Letter, h: CdaHeader, docIns: Identifier | undefined): void {
  const d = letter.docRef;
  const w = letter.where;
  const cdaIns = insIdentifier(h);
  if (cdaIns && docIns && (cdaIns.value !== docIns.value || cdaIns.system !== docIns.system)) {
    throw errors.unprocessable([issue({ code: 'business-rule', id: 'HUB-0731', expression: `${w}.subject`, text: `The INS of the CDA document (${CDA_INS}: ${cdaIns.value}) is not the INS of the DocumentReference's subject (${docIns.value}): the document is about another patient` })]);
  }
  const code = h.code;
  const loinc = d.type?.coding?.find((c) => c.system === SYSTEM.loinc)?.code;
  if (code && loinc && code.code !== loinc) {
    throw errors.unprocessable([issue({ code: 'business-rule', id: 'HUB-0732', expression: `${w}.type`, text: `The CDA document's code (ClinicalDocument/code: ${code.code}) is not the DocumentReference's type (${loinc})` })]);
  }
  const docFiness = letter.finess[0];
  if (h.custodian.finess && docFiness && h.custodian.finess !== docFiness) {
    throw errors.unprocessable([issue({ code: 'business-rule', id: 'HUB-0733', expression: `${w}.custodian`, text: `The CDA document's custodian (ClinicalDocument/custodian FINESS ${h.custodian.finess}) is not the DocumentReference's custodian (FINESS ${docFiness})` })]);
  }
  const filled: string[] = [];
  const fill = (name: string, absent: boolean, set: () => void) => {
    if (absent) {
      set();
      filled.push(name);
    }
  };
  fill('type', !d.type && !!code, () => (d.type = { coding: [{ system: SYSTEM.loinc, code: code!.code, display: code!.displayName }] }));
  fill('description', !d.description && !!h.title, () => (d.description = h.title));
  fill('date', !d.date && !!h.effectiveTime, () => (d.date = h.effectiveTime));
  fill('securityLabel', !d.securityLabel && !!h.confidentialityCode, () => (d.securityLabel = [{ coding: [{ system: SYSTEM.confidentiality, code: h.confidentialityCode!.code }] }]));
  fill('masterIdentifier', !d.masterIdentifier && !!h.documentId, () => (d.masterIdentifier = h.documentId!.extension ? { system: `urn:oid:${h.documentId!.root}`, value: h.documentId!.extension } : { system: 'urn:ietf:rfc:3986', value: `urn:oid:${h.documentId!.root}` }));
  fill('context.period', !d.context?.period && !!h.encounter.start, () => (d.context = { ...d.context, period: { start: h.encounter.start, end: h.encounter.end } }));
  const att = d.content?.[0]?.attachment;
  if (att) fill('content.attachment.title', !att.title && !!h.title, () => (att.title = h.title));
  if (filled.length) letter.notes.push(issue({ severity: 'information', code: 'informational', text: `Filled from the CDA header: ${filled.join(', ')}`, expression: w }));
  const p = letter.patient;
  p.ins ??= cdaIns;
  p.birthName ??= h.patient.birthName;
  p.firstGiven ??= h.patient.given[0];
  p.birthDate ??= h.patient.birthDate;
  p.gender ??= h.patient.gender ? GENDER[h.patient.gender] : undefined;
  // Other patient ids of the header are the sending facility's (IPP under its assigning authority OID).
  for (const id of h.patient.ids) {
    const system = `urn:oid:${id.root}`;
    if (id !== h.patient.ins && id.extension && !p.local.some((l) => l.system === system && l.value === id.extension)) p.local.push({ system, value: id.extension });
  }
  if (h.custodian.finess && !letter.finess.includes(h.custodian.finess)) letter.finess.push(h.custodian.finess);
  letter.dischargeDate ??= h.encounter.end;
}

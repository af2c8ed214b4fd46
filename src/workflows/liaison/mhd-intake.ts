// IHE MHD ITI-65 Provide Document Bundle as ANS PDSm 3.1.1 profiles it: SubmissionSet List + DocumentReference(s)
// + Binary(ies) in one transaction; each DocumentReference is a letter, its Binary a PDF or a CDA R2 document.
import { randomUUID } from 'node:crypto';
import type { Binary, Bundle, BundleEntry, DocumentReference, List, Patient } from '@medplum/fhirtypes';
import { errors } from '../../fhir/errors';
import type { HubContext } from '../../fhir/hub-context';
import { checkAttachment, readContent } from './binary-content';
import { applyCdaHeader } from './cda-crosscheck';
import { literal, readAsHub } from './hub-lookup';
import type { Letter } from './letter';
import { dropUnreferencedContained, organizationOf, patientOfDocRef, traitsFrom } from './parties';
import { PROVIDE_BUNDLE_PROFILES, SUBMISSION_SET_CODE } from './vocabulary';

const isSubmissionSet = (r: unknown): r is List =>
  (r as List)?.resourceType === 'List' && !!(r as List).code?.coding?.some((c) => c.code === SUBMISSION_SET_CODE.code && (!c.system || c.system === SUBMISSION_SET_CODE.system));

/** A transaction is an ITI-65 provide bundle when it says so in meta.profile or carries a SubmissionSet. */
export function isProvideBundle(bundle: Bundle): boolean {
  if (bundle.type !== 'transaction') return false;
  if (bundle.meta?.profile?.some((p) => PROVIDE_BUNDLE_PROFILES.includes(p.split('|')[0]))) return true;
  return (bundle.entry ?? []).some((e) => isSubmissionSet(e?.resource));
}

export interface MhdIntake {
  bundle: Bundle;
  letters: Letter[];
  submissionSets: List[];
}

/** Reads the letters of a provide bundle; the returned Bundle (a copy) is what will be written once routed. */
export async function readProvideBundle(ctx: HubContext, original: Bundle): Promise<MhdIntake> {
  const bundle = structuredClone(original);
  const entries = bundle.entry ?? [];
  const letters: Letter[] = [];
  entries.forEach((e, i) => {
    // Patients are identified by the hub, never created by a letter: an unknown identity goes to identity vigilance.
    if (e.resource?.resourceType === 'Patient' && e.request?.method !== 'GET') {
      throw errors.unprocessableText('A provide bundle may not create or change a Patient: the hub identifies the patient from the letter (INS, IPP, strict traits)', `Bundle.entry[${i}]`);
    }
  });
  for (const [i, e] of entries.entries()) {
    if (e.resource?.resourceType !== 'DocumentReference' || e.request?.method !== 'POST') continue;
    e.fullUrl ??= `urn:uuid:${randomUUID()}`;
    letters.push(await readLetter(ctx, entries, i));
  }
  if (letters.length === 0) throw errors.unprocessableText('A provide bundle must carry at least one DocumentReference to create', 'Bundle.entry');
  const submissionSets = entries.map((e) => e.resource).filter(isSubmissionSet);
  if (submissionSets.length === 0) throw errors.unprocessableText('An ITI-65 provide bundle carries a SubmissionSet List (List.code = submissionset)', 'Bundle.entry');
  return { bundle, letters, submissionSets };
}

async function readLetter(ctx: HubContext, entries: BundleEntry[], index: number): Promise<Letter> {
  const docRef = entries[index].resource as DocumentReference;
  const where = `Bundle.entry[${index}].resource`;
  const patient = patientOfDocRef(docRef);
  const custodian = await organizationOf(ctx, docRef, docRef.custodian);
  // Authors stay contained (MHD Comprehensive and PDSm allow only that); the custodian may be, and becomes the
  // hub's Organization when it holds it, so that custodian= searches find the letter.
  if (custodian.hubRef?.reference) {
    docRef.custodian = custodian.hubRef;
    dropUnreferencedContained(docRef);
  }
  const letter: Letter = { form: 'mhd', docRef, docRefUrl: entries[index].fullUrl!, where, patient, finess: custodian.finess ? [custodian.finess] : [], sender: custodian.hubRef, dischargeDate: docRef.context?.period?.end, notes: [] };
  for (const [c, content] of (docRef.content ?? []).entries()) {
    const att = content.attachment;
    const attWhere = `${where}.content[${c}].attachment`;
    const target = entries.findIndex((e) => e.fullUrl === att?.url && e.resource?.resourceType === 'Binary');
    if (target < 0) {
      if (att?.url && !att.url.startsWith('urn:')) continue; // a document already on a server: nothing to read here
      throw errors.unprocessableText('The attachment must point (url) to a Binary entry of the same Bundle', `${attWhere}.url`);
    }
    const binary = entries[target].resource as Binary;
    const read = readContent(binary.contentType, binary.data, `Bundle.entry[${target}].resource`);
    checkAttachment(att, read.bytes, binary.contentType, attWhere);
    // The Binary is readable by whoever may read its DocumentReference (FHIR R4 Binary.securityContext).
    binary.securityContext = { reference: letter.docRefUrl };
    letter.form = read.kind === 'pdf' && letter.form === 'mhd' ? 'mhd-pdf' : read.kind === 'cda' ? 'mhd-cda' : letter.form;
    if (read.cda) applyCdaHeader(letter, read.cda, await docRefIns(ctx, letter));
  }
  return letter;
}

/** The INS the DocumentReference designates: given in the letter, or that of the hub Patient it references. */
async function docRefIns(ctx: HubContext, letter: Letter) {
  if (letter.patient.ins) return letter.patient.ins;
  const lit = literal(letter.docRef.subject?.reference, 'Patient');
  if (!lit) return undefined;
  const got = await readAsHub<Patient>(ctx, 'Patient', lit.id);
  return got ? traitsFrom([got.resource], []).ins : undefined;
}

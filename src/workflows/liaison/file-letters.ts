// Filing letters atomically (FHIR R4 §3.1.0.11.2 transaction): the sender's entries plus the routing the hub adds
// (Communications, Tasks, the superseded DocumentReference) run as one transaction through dispatch, so validation,
// access control, audit and the outbox apply to every resource; the answer lists what was done per letter.
import type { Bundle, BundleEntry, DocumentReference, List, OperationOutcome, OperationOutcomeIssue, Organization, Reference as FhirReference } from '@medplum/fhirtypes';

/** References here point at whatever the letter names; FHIR types narrow them per element. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Reference = FhirReference<any>;
import { processTransaction } from '../../fhir/bundle/transaction';
import { errors, issue } from '../../fhir/errors';
import type { HubContext } from '../../fhir/hub-context';
import { assertEntitled } from '../../security/letter-entitlement';
import { identifyPatient, type Identification } from './identify-patient';
import { literal, readAsHub, searchAsHub } from './hub-lookup';
import type { Letter } from './letter';
import { findRecipients } from './recipients';
import { routeLetter } from './routing';
import { IDENTITY_VIGILANCE } from './vocabulary';

interface Plan {
  letter: Letter;
  who: Identification;
  /** Indexes (in the transaction) of the entries added for this letter, with what they are. */
  added: { index: number; verb: 'Created' | 'Updated'; label: string }[];
  issues: OperationOutcomeIssue[];
}

export interface Filed {
  /** The transaction-response of the sender's entries, each letter's report in its entry's response.outcome. */
  response: Bundle;
  reports: OperationOutcome[];
}

export async function fileLetters(ctx: HubContext, bundle: Bundle, letters: Letter[], submissionSets: List[], prefer: string | undefined): Promise<Filed> {
  await assertEntitled(ctx, [...new Set(letters.flatMap((l) => l.finess))]);
  const entries = bundle.entry ?? (bundle.entry = []);
  const senderCount = entries.length;
  // Looked up only when a letter needs it: most letters find their patient.
  let queue: Reference | undefined;
  const plans: Plan[] = [];
  for (const letter of letters) {
    const who = await identifyPatient(ctx, letter.patient);
    placeSubject(letter, who, submissionSets);
    const recipients = who.status === 'found' ? await findRecipients(ctx, who.patient) : undefined;
    if (who.status !== 'found') queue ??= await identityVigilanceQueue(ctx);
    const routed = routeLetter(letter, who, recipients, queue, ctx.now());
    const plan: Plan = { letter, who, added: [], issues: [...letter.notes, ...routed.issues] };
    routed.entries.forEach((e, i) => {
      plan.added.push({ index: entries.length, verb: 'Created', label: routed.labels[i] });
      entries.push(e);
    });
    for (const s of await supersede(ctx, letter)) {
      plan.added.push({ index: entries.length, verb: 'Updated', label: `${s.request!.url} superseded by this letter` });
      entries.push(s);
    }
    plans.push(plan);
  }
  // Built in memory, the added resources may hold undefined members; the transaction validates JSON as it travels.
  const out = await processTransaction(ctx, JSON.parse(JSON.stringify(bundle)) as Bundle, prefer);
  const all = (out.resource as Bundle).entry ?? [];
  const response: Bundle = { resourceType: 'Bundle', type: 'transaction-response', entry: all.slice(0, senderCount) };
  const reports = plans.map((plan) => {
    const index = entries.findIndex((e) => e.fullUrl === plan.letter.docRefUrl);
    const report = reportOf(plan, all, index);
    response.entry![index].response!.outcome = report;
    return report;
  });
  return { response, reports };
}

/** The identity-vigilance Organization of the demo data (or a logical reference to the queue if it is absent). */
async function identityVigilanceQueue(ctx: HubContext): Promise<Reference> {
  const found = await searchAsHub<Organization>(ctx, 'Organization', [['identifier', `${IDENTITY_VIGILANCE.system}|${IDENTITY_VIGILANCE.value}`]]);
  if (found.length === 1) return { reference: `Organization/${found[0].id}`, display: found[0].name };
  return { identifier: { system: IDENTITY_VIGILANCE.system, value: IDENTITY_VIGILANCE.value }, display: IDENTITY_VIGILANCE.display };
}

/** The DocumentReference (and SubmissionSet) point at the identified patient; an unidentified one keeps only the identity it was given. */
function placeSubject(letter: Letter, who: Identification, submissionSets: List[]): void {
  const d = letter.docRef;
  const before = d.subject?.reference;
  if (who.status === 'found') {
    d.subject = { reference: `Patient/${who.patient.id}` };
  } else {
    // Never a guess: no reference to a Patient of the hub, only the identity the sender gave — its INS, else its
    // IPP (logical references), else its own patient description (MHD requires a subject).
    const given = letter.patient.ins ?? letter.patient.local[0];
    const subject = given ? { identifier: given } : (d.context?.sourcePatientInfo ?? d.subject);
    if (subject) d.subject = subject as DocumentReference['subject'];
    else delete d.subject;
  }
  // The SubmissionSet follows; without anything better it keeps what the sender wrote (PDSm requires a subject).
  for (const list of submissionSets) {
    if (d.subject && (!list.subject || list.subject.reference === before || list.subject.identifier)) list.subject = d.subject as List['subject'];
  }
}

/** relatesTo.code = replaces (MHD: the new document supersedes the old): the old DocumentReference becomes superseded. */
async function supersede(ctx: HubContext, letter: Letter): Promise<BundleEntry[]> {
  const out: BundleEntry[] = [];
  for (const [i, rel] of (letter.docRef.relatesTo ?? []).entries()) {
    if (rel.code !== 'replaces') continue;
    const where = `${letter.where}.relatesTo[${i}].target`;
    let id = literal(rel.target?.reference, 'DocumentReference')?.id;
    if (!id && rel.target?.identifier?.value) {
      const found = await searchAsHub<DocumentReference>(ctx, 'DocumentReference', [['identifier', `${rel.target.identifier.system ?? ''}|${rel.target.identifier.value}`]]);
      if (found.length > 1) throw errors.unprocessableText(`The replaced document's identifier matches ${found.length} DocumentReferences`, where);
      id = found[0]?.id;
    }
    const old = id ? await readAsHub<DocumentReference>(ctx, 'DocumentReference', id) : undefined;
    if (!old) throw errors.unprocessableText('The document this letter replaces (relatesTo.code = replaces) is not on this hub', where);
    if (old.resource.status !== 'current') throw errors.unprocessableText(`DocumentReference/${id} cannot be replaced: its status is ${old.resource.status}, not current`, where);
    rel.target = { reference: `DocumentReference/${id}` };
    out.push({ resource: { ...old.resource, status: 'superseded' }, request: { method: 'PUT', url: `DocumentReference/${id}`, ifMatch: `W/"${old.version}"` } });
  }
  return out;
}

function reportOf(plan: Plan, all: BundleEntry[], index: number): OperationOutcome {
  const location = (i: number) => all[i]?.response?.location?.replace(/\/_history\/\d+$/, '').replace(/^.*\/([A-Z][A-Za-z]+\/[^/]+)$/, '$1');
  const filed = location(index);
  const who = plan.who.status === 'found' ? `for Patient/${plan.who.patient.id} (identified by ${plan.who.by})` : 'without a patient (identity not resolved)';
  const issues: OperationOutcomeIssue[] = [issue({ severity: 'information', code: 'informational', text: `Letter filed as ${filed} (${plan.letter.form}) ${who}`, expression: plan.letter.where })];
  for (const a of plan.added) issues.push(issue({ severity: 'information', code: 'informational', text: `${a.verb} ${location(a.index)}: ${a.label}` }));
  return { resourceType: 'OperationOutcome', issue: [...issues, ...plan.issues] };
}

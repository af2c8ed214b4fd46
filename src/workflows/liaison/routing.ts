// Routing of a filed letter: Communications to the médecin traitant and care teams, the "consultation post-sortie"
// Task, or a reconciliation Task for identity vigilance — as transaction entries written with the letter.
import { randomUUID } from 'node:crypto';
import type { BundleEntry, Communication, OperationOutcomeIssue, Reference as FhirReference, Task } from '@medplum/fhirtypes';

/** References here point at whatever the letter names; FHIR types narrow them per element. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Reference = FhirReference<any>;
import { issue } from '../../fhir/errors';
import type { Identification } from './identify-patient';
import type { Letter } from './letter';
import type { Recipients } from './recipients';
import { FOLLOW_UP_DAYS, PROFILE, TASK_CODE } from './vocabulary';

export interface Routed {
  entries: BundleEntry[];
  /** What each added entry is, to name it in the report once it has an id. */
  labels: string[];
  issues: OperationOutcomeIssue[];
}

const post = (resource: Communication | Task): BundleEntry => ({ fullUrl: `urn:uuid:${randomUUID()}`, resource, request: { method: 'POST', url: resource.resourceType } });

export function dueDate(discharge: string | undefined, now: Date): string {
  const from = discharge ? new Date(discharge.length === 10 ? `${discharge}T12:00:00Z` : discharge) : now;
  const base = Number.isNaN(from.getTime()) ? now : from;
  return new Date(base.getTime() + FOLLOW_UP_DAYS * 86_400_000).toISOString().slice(0, 10);
}

export function routeLetter(letter: Letter, who: Identification, recipients: Recipients | undefined, queue: Reference | undefined, now: Date): Routed {
  const out: Routed = { entries: [], labels: [], issues: [] };
  const sent = now.toISOString();
  const letterRef: Reference = { reference: letter.docRefUrl, display: letter.docRef.description ?? letter.docRef.content?.[0]?.attachment?.title };
  if (who.status !== 'found') {
    out.entries.push(post(reconciliationTask(letter, letterRef, who.reason, queue!, sent)));
    out.labels.push('reconciliation Task for identity vigilance');
    out.issues.push(issue({ severity: 'warning', code: 'not-found', text: `Patient not identified (${who.status}): ${who.reason}. The letter is filed without a patient and a reconciliation Task goes to the identity-vigilance queue; nobody was notified.`, expression: `${letter.where}.subject` }));
    return out;
  }
  const patient: Reference = { reference: `Patient/${who.patient.id}` };
  const sender = letter.sender ?? letter.docRef.custodian ?? letter.docRef.author?.[0];
  const all = [...(recipients?.generalPractitioners ?? []), ...(recipients?.careTeams ?? [])];
  for (const recipient of all) {
    const communication: Communication = {
      resourceType: 'Communication',
      meta: { profile: [PROFILE.communication] },
      status: 'completed',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'notification' }] }],
      subject: patient,
      topic: { text: 'Lettre de liaison de sortie' },
      sent,
      sender: sender ? { reference: sender.reference, identifier: sender.identifier, display: sender.display } : undefined,
      recipient: [recipient],
      payload: [{ contentReference: letterRef }],
    };
    out.entries.push(post(communication));
    out.labels.push(`to ${recipient.display ?? recipient.reference}`);
  }
  const gp = recipients?.generalPractitioners.find((r) => /^(Practitioner|PractitionerRole)\//.test(r.reference ?? ''));
  if (!gp) {
    out.issues.push(issue({ severity: 'warning', code: 'incomplete', text: `Patient/${who.patient.id} has no médecin traitant on this hub: no follow-up consultation Task was created${all.length ? '; the care team was notified' : ' and nobody was notified'}`, expression: `${letter.where}.subject` }));
  } else {
    out.entries.push(post(followUpTask(letter, letterRef, patient, gp, sender, sent, now)));
    out.labels.push(`follow-up Task for ${gp.display ?? gp.reference}`);
  }
  return out;
}

function followUpTask(letter: Letter, letterRef: Reference, patient: Reference, owner: Reference, requester: Reference | undefined, sent: string, now: Date): Task {
  return {
    resourceType: 'Task',
    meta: { profile: [PROFILE.followUp] },
    status: 'requested',
    intent: 'order',
    priority: 'urgent',
    code: { coding: [TASK_CODE.followUp] },
    description: `Consultation post-sortie dans les ${FOLLOW_UP_DAYS} jours suivant la sortie`,
    focus: letterRef,
    for: patient,
    authoredOn: sent,
    requester: requester ? { reference: requester.reference, identifier: requester.identifier, display: requester.display } : { display: 'Établissement de sortie' },
    owner,
    restriction: { period: { end: dueDate(letter.dischargeDate, now) } },
  };
}

function reconciliationTask(letter: Letter, letterRef: Reference, reason: string, owner: Reference, sent: string): Task {
  const t = letter.patient;
  const traits = [t.ins?.value && `INS ${t.ins.value}`, t.birthName, t.firstGiven, t.birthDate, t.gender].filter(Boolean).join(', ');
  return {
    resourceType: 'Task',
    status: 'requested',
    intent: 'order',
    code: { coding: [TASK_CODE.reconciliation] },
    description: `Rapprocher la lettre reçue d'un patient : ${reason}. Identité transmise : ${traits || 'aucune'}.`,
    focus: letterRef,
    authoredOn: sent,
    owner,
  };
}

// Who a letter goes to (décret 2016-995, lettre de liaison): the médecin traitant and the patient's active care teams.
import type { CareTeam, Patient, Reference as FhirReference } from '@medplum/fhirtypes';

/** References here point at whatever the letter names; FHIR types narrow them per element. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Reference = FhirReference<any>;
import type { HubContext } from '../../fhir/hub-context';
import { searchAsHub } from './hub-lookup';

export interface Recipients {
  generalPractitioners: Reference[];
  careTeams: Reference[];
}

export async function findRecipients(ctx: HubContext, patient: Patient): Promise<Recipients> {
  const teams = await searchAsHub<CareTeam>(ctx, 'CareTeam', [['subject', `Patient/${patient.id}`], ['status', 'active']]);
  return {
    generalPractitioners: (patient.generalPractitioner ?? []).filter((r) => r.reference),
    careTeams: teams.map((t) => ({ reference: `CareTeam/${t.id}`, display: t.name })),
  };
}

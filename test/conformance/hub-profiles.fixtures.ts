// Valid instances of the hub's own profiles (profiles/), used by the hub-profile and mutation tests.
const HUB = 'https://fhir-hub.fr/ig/StructureDefinition';
const TASK_TYPE = 'https://fhir-hub.fr/ig/CodeSystem/fhir-hub-task-type';

export const careTeam = () => ({
  resourceType: 'CareTeam',
  id: 'ct-1',
  meta: { profile: [`${HUB}/fhir-hub-careteam`] },
  status: 'active',
  name: 'Équipe de coordination de Mme Martin',
  subject: { reference: 'Patient/p-1' },
  participant: [
    { member: { reference: 'Practitioner/gp-1' }, onBehalfOf: { reference: 'Organization/msp-1' } },
    { member: { reference: 'PractitionerRole/nurse-1' }, onBehalfOf: { reference: 'Organization/chu-1' } },
    { member: { reference: 'RelatedPerson/aidant-1' } },
  ],
  managingOrganization: [{ reference: 'Organization/cpts-1' }],
});

export const carePlan = () => ({
  resourceType: 'CarePlan',
  id: 'cp-1',
  meta: { profile: [`${HUB}/fhir-hub-careplan`] },
  status: 'active',
  intent: 'plan',
  subject: { reference: 'Patient/p-1' },
  period: { start: '2026-01-10' },
  careTeam: [{ reference: 'CareTeam/ct-1' }],
  author: { reference: 'Practitioner/gp-1' },
});

export const communication = () => ({
  resourceType: 'Communication',
  id: 'com-1',
  meta: { profile: [`${HUB}/fhir-hub-communication`] },
  status: 'completed',
  subject: { reference: 'Patient/p-1' },
  sent: '2026-01-12T10:00:00+01:00',
  sender: { reference: 'PractitionerRole/nurse-1' },
  recipient: [{ reference: 'Practitioner/gp-1' }],
  payload: [{ contentString: 'Retour à domicile prévu jeudi.' }],
});

export const postDischargeTask = () => ({
  resourceType: 'Task',
  id: 'task-1',
  meta: { profile: [`${HUB}/fhir-hub-task-consultation-post-sortie`] },
  status: 'requested',
  intent: 'order',
  code: { coding: [{ system: TASK_TYPE, code: 'consultation-post-sortie' }] },
  for: { reference: 'Patient/p-1' },
  focus: { reference: 'DocumentReference/ldl-1' },
  authoredOn: '2026-01-12T09:00:00+01:00',
  requester: { reference: 'Organization/chu-1' },
  owner: { reference: 'Practitioner/gp-1' },
  restriction: { period: { end: '2026-01-19' } },
});

export const gpRequestTask = () => ({
  ...postDischargeTask(),
  id: 'task-2',
  meta: { profile: [`${HUB}/fhir-hub-task-demande-medecin-traitant`] },
  code: { coding: [{ system: TASK_TYPE, code: 'demande-medecin-traitant' }] },
  focus: undefined,
});

export const dischargeLetter = () => ({
  resourceType: 'DocumentReference',
  id: 'ldl-1',
  meta: { profile: [`${HUB}/fhir-hub-lettre-de-liaison`] },
  status: 'current',
  type: { coding: [{ system: 'http://loinc.org', code: '11490-0', display: 'Physician Discharge summary' }] },
  subject: { reference: 'Patient/p-1' },
  date: '2026-01-12T09:00:00+01:00',
  author: [{ reference: 'PractitionerRole/hosp-1' }],
  custodian: { reference: 'Organization/chu-1' },
  content: [{ attachment: { contentType: 'application/pdf', title: 'Lettre de liaison', url: 'Binary/ldl-1' } }],
});

const section = (code: string, title: string) => ({
  title,
  code: { coding: [{ system: 'http://loinc.org', code }] },
  text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${title}</div>` },
});

export const patientSummary = () => ({
  resourceType: 'Composition',
  id: 'sum-1',
  meta: { profile: [`${HUB}/fhir-hub-patient-summary`] },
  status: 'final',
  type: { coding: [{ system: 'http://loinc.org', code: '60591-5' }] },
  subject: { reference: 'Patient/p-1' },
  date: '2026-01-12',
  author: [{ reference: 'Practitioner/gp-1' }],
  title: 'Synthèse',
  section: [section('11450-4', 'Problèmes'), section('10160-0', 'Traitements'), section('48765-2', 'Allergies')],
});

/** JSON round trip: drops `undefined` members so fixtures stay valid FHIR JSON. */
export function clean<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

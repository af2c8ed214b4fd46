// Hand-made resources with known search answers for the parameter-type matrix.
import type { Resource } from '@medplum/fhirtypes';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
export const INS = 'urn:oid:1.2.250.1.213.1.4.8';
export const TAGS = 'https://fhir-hub.fr/tags';
// A profile the hub does not hold: declaring it gives a warning, and _profile can still find it.
export const FR_PATIENT = 'https://ehr.example.fr/StructureDefinition/patient-dossier';

function obs(id: string, code: string, text: string, value: Record<string, unknown>, effective: Record<string, unknown>, subject?: string): Resource {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: LOINC, code }], text },
    ...(subject ? { subject: { reference: `Patient/${subject}` } } : {}),
    ...value,
    ...effective,
  } as Resource;
}

export const searchFixtures: Resource[] = [
  {
    resourceType: 'Patient',
    id: 'pt-helene',
    meta: { tag: [{ system: TAGS, code: 'demo' }], profile: [FR_PATIENT], source: 'https://ehr.example.fr/a', security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] },
    identifier: [{ system: INS, value: '2500345678901', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'NH' }] } }],
    active: true,
    name: [{ family: 'Lefèbvre', given: ['Hélène'] }],
    gender: 'female',
    birthDate: '1950-03-02',
  },
  { resourceType: 'Patient', id: 'pt-dupont', name: [{ family: 'DUPONT', given: ['Jean'] }], gender: 'male', birthDate: '1980', address: [{ city: 'Orléans' }], telecom: [{ system: 'phone', value: '0601020304' }] },
  { resourceType: 'Patient', id: 'pt-dupontel', name: [{ family: 'Dupontel', given: ['Albert'] }], gender: 'male', birthDate: '1975-06' },
  { resourceType: 'Patient', id: 'pt-sans', name: [{ family: 'Sans' }] },
  obs('obs-hr1', '8867-4', 'Heart rate', { valueQuantity: { value: 72, unit: '/min', system: UCUM, code: '/min' } }, { effectiveDateTime: '2024-03-15T10:00:00+01:00' }, 'pt-dupont'),
  obs('obs-hr2', '8867-4', 'Heart rate', { valueQuantity: { value: 100, unit: '/min', system: UCUM, code: '/min' } }, { effectivePeriod: { start: '2024-03-01', end: '2024-03-31' } }, 'pt-helene'),
  obs('obs-wt', '29463-7', 'Body weight', { valueQuantity: { value: 70.5, unit: 'kg', system: UCUM, code: 'kg' } }, { effectiveDateTime: '2023-12-31T23:30:00Z' }),
  {
    resourceType: 'Observation',
    id: 'obs-bp',
    status: 'final',
    code: { coding: [{ system: LOINC, code: '85354-9' }], text: 'Blood pressure' },
    subject: { reference: 'Patient/pt-helene' },
    effectiveDateTime: '2024-05-02T08:00:00Z',
    component: [
      { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 130, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 85, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
    ],
  } as Resource,
  { resourceType: 'RiskAssessment', id: 'ra-high', status: 'final', subject: { reference: 'Patient/pt-helene' }, prediction: [{ probabilityDecimal: 0.8 }] } as Resource,
  { resourceType: 'RiskAssessment', id: 'ra-low', status: 'final', subject: { reference: 'Patient/pt-dupont' }, prediction: [{ probabilityDecimal: 0.27 }] } as Resource,
  {
    resourceType: 'Encounter',
    id: 'enc-rpps',
    status: 'finished',
    class: { code: 'AMB' },
    participant: [{ individual: { identifier: { system: 'https://rpps.esante.gouv.fr', value: '10101010101' }, display: 'Dr Claire Roux' } }],
  } as Resource,
  { resourceType: 'Questionnaire', id: 'q-icope', status: 'active', url: 'https://fhir-hub.fr/Questionnaire/icope' },
  { resourceType: 'Questionnaire', id: 'q-icope-1', status: 'active', url: 'https://fhir-hub.fr/Questionnaire/icope/step1' },
] as Resource[];

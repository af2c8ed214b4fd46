// Valid R4 resources used as mutation bases by base-validator.test.ts.

export const patient = {
  resourceType: 'Patient',
  id: 'p1',
  meta: { lastUpdated: '2024-01-02T03:04:05.678Z', profile: ['http://hl7.org/fhir/StructureDefinition/Patient'] },
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Jane Doe</div>' },
  extension: [
    {
      url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
      extension: [
        { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3' } },
        { url: 'text', valueString: 'White' },
      ],
    },
    { url: 'http://example.org/uuid', valueUuid: 'urn:uuid:0b5c5a6e-1d6c-4c3a-9a8e-2d3c4b5a6f70' },
    { url: 'http://example.org/oid', valueOid: 'urn:oid:1.2.250.1.213.1.4.8' },
    { url: 'http://example.org/time', valueTime: '08:30:00' },
  ],
  identifier: [
    { system: 'https://github.com/synthetichealth/synthea', value: 'abc' },
    {
      use: 'official',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }], text: 'MRN' },
      system: 'http://hospital.example.org',
      value: '12345',
      period: { start: '2020-01-01', end: '2030-12-31T23:59:59+01:00' },
    },
  ],
  active: true,
  name: [
    {
      use: 'official',
      family: 'Doe',
      given: ['Jane', 'Q'],
      _given: [null, { extension: [{ url: 'http://example.org/initial', valueBoolean: true }] }],
      prefix: ['Mrs.'],
    },
  ],
  telecom: [{ system: 'phone', value: '555-1234', use: 'home' }],
  gender: 'female',
  _gender: { extension: [{ url: 'http://example.org/verified', valueBoolean: true }] },
  birthDate: '1980-02-29',
  deceasedBoolean: false,
  address: [{ line: ['1 Main St'], city: 'Boston', postalCode: '02101', country: 'US' }],
  multipleBirthInteger: 2,
  photo: [{ contentType: 'image/png', data: 'aGVsbG8gd29ybGQ=', url: 'http://example.org/p.png' }],
  contact: [{ relationship: [{ text: 'mother' }], name: { family: 'Doe' }, gender: 'female' }],
  communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en-US' }] }, preferred: true }],
  managingOrganization: { reference: 'Organization/o1', display: 'Hospital' },
};

export const observation = {
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  category: [
    { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
  ],
  code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body Weight' }], text: 'Body Weight' },
  subject: { reference: 'urn:uuid:0b5c5a6e-1d6c-4c3a-9a8e-2d3c4b5a6f70' },
  effectiveDateTime: '2021-06-01T10:00:00-05:00',
  issued: '2021-06-01T10:00:00.123-05:00',
  valueQuantity: { value: 72.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
  referenceRange: [{ low: { value: 50, unit: 'kg' }, high: { value: 100, unit: 'kg' } }],
  component: [{ code: { text: 'time' }, valueTime: '10:00:00' }],
};

export const condition = {
  resourceType: 'Condition',
  clinicalStatus: {
    coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
  },
  code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] },
  subject: { reference: 'Patient/p1' },
  onsetDateTime: '2019-03-04T00:00:00Z',
};

/** Contained resources, extensions, modifier extensions and inline Element datatypes (Timing.repeat). */
export const medicationRequest = {
  resourceType: 'MedicationRequest',
  contained: [
    {
      resourceType: 'Medication',
      id: 'med1',
      code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '313782' }] },
    },
  ],
  extension: [{ url: 'http://example.org/priority-note', valueMarkdown: '**urgent**' }],
  modifierExtension: [{ url: 'http://example.org/do-not-dispense', valueBoolean: false }],
  status: 'active',
  intent: 'order',
  medicationReference: { reference: '#med1' },
  subject: { reference: 'Patient/p1' },
  authoredOn: '2021-01-01',
  note: [{ text: 'Take with *food*' }],
  dosageInstruction: [
    {
      sequence: 1,
      timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } },
      doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }],
    },
  ],
  dispenseRequest: { numberOfRepeatsAllowed: 0, quantity: { value: 30 } },
};

/** Nested items exercise the `#Questionnaire.item` contentReference. */
export const questionnaire = {
  resourceType: 'Questionnaire',
  status: 'active',
  item: [
    {
      linkId: 'g1',
      type: 'group',
      item: [{ linkId: 'q1', type: 'string', text: 'Name?', item: [{ linkId: 'q1.1', type: 'display' }] }],
    },
  ],
};

export const bundle = {
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    { fullUrl: 'urn:uuid:0b5c5a6e-1d6c-4c3a-9a8e-2d3c4b5a6f70', resource: patient, request: { method: 'POST', url: 'Patient' } },
    { resource: observation, request: { method: 'POST', url: 'Observation' } },
    { resource: condition, request: { method: 'PUT', url: 'Condition?identifier=x' } },
    { resource: medicationRequest, request: { method: 'POST', url: 'MedicationRequest' } },
  ],
};

export const parameters = {
  resourceType: 'Parameters',
  parameter: [
    { name: 'resource', resource: condition },
    { name: 'count', valueInteger: 3 },
  ],
};

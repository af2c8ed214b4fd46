// Mutation suite: each case breaks a valid resource in exactly one way and expects exactly one
// error, at exactly one FHIRPath.
import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { validateBase } from '../../src/conformance/base';
import { checkBinding } from '../../src/conformance/base/bindings';
import { Kind } from '../../src/conformance/base/model';
import * as fx from './base-validator.fixtures';

type R = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function mutate(base: object, fn: (r: R) => void): R {
  const copy = structuredClone(base) as R;
  fn(copy);
  return copy;
}

const { patient, observation, condition, medicationRequest, questionnaire, bundle, parameters } = fx;

describe('valid resources', () => {
  it.each([
    ['Patient', patient],
    ['Observation', observation],
    ['Condition', condition],
    ['MedicationRequest', medicationRequest],
    ['Questionnaire', questionnaire],
    ['Bundle', bundle],
    ['Parameters', parameters],
    ['minimal Patient', { resourceType: 'Patient' }],
  ])('%s has no issues', (_name, resource) => {
    expect(validateBase(resource)).toEqual([]);
  });

  it('accepts aligned nulls in primitive arrays, extension-only primitives and leap days', () => {
    const r = mutate(patient, (p) => {
      p.name[0].given = [null, 'Q'];
      p.name[0]._given = [{ extension: [{ url: 'http://x', valueString: 'masked' }] }, null];
      delete p.birthDate;
      p._birthDate = { extension: [{ url: 'http://x', valueCode: 'unknown' }] };
      p.deceasedDateTime = '2024-02-29T12:00:00Z';
      p._deceasedDateTime = { extension: [{ url: 'http://x', valueString: 'approximate' }] };
      delete p.deceasedBoolean;
      p.extension[3]._valueTime = { id: 't1', extension: [{ url: 'http://x', valueBoolean: true }] };
    });
    expect(validateBase(r)).toEqual([]);
  });

  it('skips required bindings whose value set cannot be expanded (mimetypes)', () => {
    expect(validateBase(mutate(patient, (p) => (p.photo[0].contentType = 'x-unknown/whatever')))).toEqual([]);
  });
});

type Case = [string, object, (r: R) => void, string, string];

const cases: Case[] = [
  // resourceType
  ['missing resourceType', patient, (r) => delete r.resourceType, 'Resource.resourceType', 'required'],
  ['unknown resourceType', patient, (r) => (r.resourceType = 'Patients'), 'Resource.resourceType', 'value'],
  ['abstract resourceType', patient, (r) => (r.resourceType = 'DomainResource'), 'Resource.resourceType', 'value'],
  // unknown elements and primitive-extension siblings
  ['unknown element', patient, (r) => (r.foo = 1), 'Patient.foo', 'structure'],
  ['unknown nested element', patient, (r) => (r.name[0].foo = 'x'), 'Patient.name[0].foo', 'structure'],
  ['unknown backbone element', patient, (r) => (r.contact[0].foo = 'x'), 'Patient.contact[0].foo', 'structure'],
  ['_x of a complex element', patient, (r) => (r._name = [{ id: 'a' }]), 'Patient._name', 'structure'],
  ['_x of an unknown element', patient, (r) => (r._foo = { id: 'a' }), 'Patient._foo', 'structure'],
  ['_id on a resource', patient, (r) => (r._id = { id: 'a' }), 'Patient._id', 'structure'],
  ['unknown key in _x', patient, (r) => (r._gender.value = 'x'), 'Patient._gender.value', 'structure'],
  ['_x with only an id', patient, (r) => (r._gender = { id: 'a' }), 'Patient._gender', 'structure'],
  ['_x misaligned with x', patient, (r) => r.name[0]._given.push(null), 'Patient.name[0]._given', 'structure'],
  ['_x single for an array', patient, (r) => (r.name[0]._given = { id: 'a', extension: r.name[0]._given[1].extension }), 'Patient.name[0]._given', 'structure'],
  ['_x array for a single', patient, (r) => (r._gender = [r._gender]), 'Patient._gender', 'structure'],
  ['null in x and _x at one index', patient, (r) => { r.name[0].given[0] = null; }, 'Patient.name[0].given[0]', 'structure'],
  ['null in x without _x', patient, (r) => { r.address[0].line = ['a', null]; }, 'Patient.address[0].line[1]', 'structure'],
  // choice types
  ['choice type not allowed', observation, (r) => { delete r.valueQuantity; r.valueUri = 'http://x'; }, 'Observation.valueUri', 'structure'],
  ['two choices of one element', observation, (r) => (r.valueString = 'heavy'), 'Observation.valueString', 'structure'],
  ['choice value plus _x of another choice', observation, (r) => (r._valueBoolean = { id: 'b', extension: [{ url: 'http://x', valueCode: 'x' }] }), 'Observation._valueBoolean', 'structure'],
  ['_x of a complex choice', observation, (r) => (r._valueQuantity = { id: 'q' }), 'Observation._valueQuantity', 'structure'],
  ['_x of xhtml', patient, (r) => (r.text._div = { id: 'd', extension: [{ url: 'http://x', valueCode: 'x' }] }), 'Patient.text._div', 'structure'],
  ['two choices in a backbone', observation, (r) => (r.component[0].valueBoolean = true), 'Observation.component[0].valueBoolean', 'structure'],
  // cardinality
  ['single value for an array', patient, (r) => (r.name = r.name[0]), 'Patient.name', 'structure'],
  ['array for a single value', patient, (r) => (r.gender = ['female']), 'Patient.gender', 'structure'],
  ['array for a single complex value', observation, (r) => (r.code = [r.code]), 'Observation.code', 'structure'],
  ['missing required element', observation, (r) => delete r.status, 'Observation.status', 'required'],
  ['missing required backbone element', bundle, (r) => delete r.entry[1].request.method, 'Bundle.entry[1].request.method', 'required'],
  ['missing required choice', medicationRequest, (r) => delete r.medicationReference, 'MedicationRequest', 'required'],
  ['element forbidden by SimpleQuantity', observation, (r) => (r.referenceRange[0].low.comparator = '<'), 'Observation.referenceRange[0].low.comparator', 'structure'],
  // primitives
  ['boolean as string', patient, (r) => (r.active = 'true'), 'Patient.active', 'value'],
  ['integer with fraction', patient, (r) => (r.multipleBirthInteger = 1.5), 'Patient.multipleBirthInteger', 'value'],
  ['integer beyond 32 bits', patient, (r) => (r.multipleBirthInteger = 2147483648), 'Patient.multipleBirthInteger', 'value'],
  ['integer as string', patient, (r) => (r.multipleBirthInteger = '2'), 'Patient.multipleBirthInteger', 'value'],
  ['positiveInt zero', medicationRequest, (r) => (r.dosageInstruction[0].timing.repeat.frequency = 0), 'MedicationRequest.dosageInstruction[0].timing.repeat.frequency', 'value'],
  ['unsignedInt negative', medicationRequest, (r) => (r.dispenseRequest.numberOfRepeatsAllowed = -1), 'MedicationRequest.dispenseRequest.numberOfRepeatsAllowed', 'value'],
  ['decimal as string', observation, (r) => (r.valueQuantity.value = '72.5'), 'Observation.valueQuantity.value', 'value'],
  ['string as number', patient, (r) => (r.name[0].family = 42), 'Patient.name[0].family', 'value'],
  ['string over 1 MB', patient, (r) => (r.name[0].family = 'x'.repeat(1024 * 1024 + 1)), 'Patient.name[0].family', 'value'],
  ['code with leading space', observation, (r) => (r.valueQuantity.code = ' kg'), 'Observation.valueQuantity.code', 'value'],
  ['code with double space', observation, (r) => (r.valueQuantity.code = 'k  g'), 'Observation.valueQuantity.code', 'value'],
  ['id with a space', patient, (r) => (r.id = 'p 1'), 'Patient.id', 'value'],
  ['id of 65 characters', patient, (r) => (r.id = 'a'.repeat(65)), 'Patient.id', 'value'],
  ['uri with whitespace', patient, (r) => (r.identifier[0].system = 'http://a b'), 'Patient.identifier[0].system', 'value'],
  ['url with whitespace', patient, (r) => (r.photo[0].url = 'http://x/ p.png'), 'Patient.photo[0].url', 'value'],
  ['canonical with whitespace', patient, (r) => (r.meta.profile[0] = 'http://x/ y'), 'Patient.meta.profile[0]', 'value'],
  ['bad oid', patient, (r) => (r.extension[2].valueOid = '1.2.250'), 'Patient.extension[2].valueOid', 'value'],
  ['uppercase uuid', patient, (r) => (r.extension[1].valueUuid = r.extension[1].valueUuid.toUpperCase()), 'Patient.extension[1].valueUuid', 'value'],
  ['date February 30', patient, (r) => (r.birthDate = '2023-02-30'), 'Patient.birthDate', 'value'],
  ['date month 13', patient, (r) => (r.birthDate = '2023-13-01'), 'Patient.birthDate', 'value'],
  ['date February 29 of a common year', patient, (r) => (r.birthDate = '1900-02-29'), 'Patient.birthDate', 'value'],
  ['date with a time', patient, (r) => (r.birthDate = '1980-02-29T10:00:00Z'), 'Patient.birthDate', 'value'],
  ['dateTime without time zone', observation, (r) => (r.effectiveDateTime = '2021-06-01T10:00:00'), 'Observation.effectiveDateTime', 'value'],
  ['dateTime April 31', observation, (r) => (r.effectiveDateTime = '2021-04-31T10:00:00Z'), 'Observation.effectiveDateTime', 'value'],
  ['instant without time', observation, (r) => (r.issued = '2021-06-01'), 'Observation.issued', 'value'],
  ['instant without zone', patient, (r) => (r.meta.lastUpdated = '2024-01-02T03:04:05'), 'Patient.meta.lastUpdated', 'value'],
  ['time 25h', observation, (r) => (r.component[0].valueTime = '25:00:00'), 'Observation.component[0].valueTime', 'value'],
  ['base64 bad length', patient, (r) => (r.photo[0].data = 'abc'), 'Patient.photo[0].data', 'value'],
  ['base64 bad character', patient, (r) => (r.photo[0].data = 'ab*d'), 'Patient.photo[0].data', 'value'],
  ['markdown empty', medicationRequest, (r) => (r.note[0].text = ''), 'MedicationRequest.note[0].text', 'value'],
  ['xhtml not a div', patient, (r) => (r.text.div = '<p>hi</p>'), 'Patient.text.div', 'value'],
  // empty and null values
  ['empty object', patient, (r) => (r.name[0] = {}), 'Patient.name[0]', 'structure'],
  ['object with only an id', patient, (r) => (r.managingOrganization = { id: 'x' }), 'Patient.managingOrganization', 'structure'],
  ['empty array', patient, (r) => (r.identifier = []), 'Patient.identifier', 'structure'],
  ['empty string', patient, (r) => (r.name[0].family = ''), 'Patient.name[0].family', 'value'],
  ['null value', patient, (r) => (r.active = null), 'Patient.active', 'structure'],
  ['null in a complex array', patient, (r) => r.identifier.push(null), 'Patient.identifier[2]', 'structure'],
  // complex datatypes
  ['Identifier.value not a string', patient, (r) => (r.identifier[1].value = 12345), 'Patient.identifier[1].value', 'value'],
  ['primitive for a complex type', observation, (r) => (r.code = 'weight'), 'Observation.code', 'structure'],
  ['Reference.reference not a string', observation, (r) => (r.subject.reference = {}), 'Observation.subject.reference', 'value'],
  ['Period.end invalid', patient, (r) => (r.identifier[1].period.end = '2030-12-31T24:00:00Z'), 'Patient.identifier[1].period.end', 'value'],
  ['Extension without url', patient, (r) => delete r.extension[1].url, 'Patient.extension[1].url', 'required'],
  ['Extension with value and extensions', patient, (r) => (r.extension[0].valueString = 'x'), 'Patient.extension[0]', 'invariant'],
  ['Extension with neither', medicationRequest, (r) => delete r.modifierExtension[0].valueBoolean, 'MedicationRequest.modifierExtension[0]', 'invariant'],
  ['nested Extension invalid', patient, (r) => (r.extension[0].extension[1].valueString = ''), 'Patient.extension[0].extension[1].valueString', 'value'],
  ['Extension in _x invalid', patient, (r) => delete r.name[0]._given[1].extension[0].url, 'Patient.name[0]._given[1].extension[0].url', 'required'],
  ['Narrative.status missing', patient, (r) => delete r.text.status, 'Patient.text.status', 'required'],
  ['Meta unknown element', patient, (r) => (r.meta.foo = 'x'), 'Patient.meta.foo', 'structure'],
  ['inline Element datatype', medicationRequest, (r) => (r.dosageInstruction[0].timing.repeat.foo = 1), 'MedicationRequest.dosageInstruction[0].timing.repeat.foo', 'structure'],
  // nested resources
  ['contained resource invalid', medicationRequest, (r) => (r.contained[0].code.coding[0].system = 'http://x y'), 'MedicationRequest.contained[0].code.coding[0].system', 'value'],
  ['contained unknown type', medicationRequest, (r) => (r.contained[0].resourceType = 'Medicine'), 'MedicationRequest.contained[0].resourceType', 'value'],
  ['contained within contained', medicationRequest, (r) => (r.contained[0].contained = [{ resourceType: 'Substance', code: { text: 'x' } }]), 'MedicationRequest.contained[0].contained', 'invariant'],
  ['Bundle entry resource invalid', bundle, (r) => (r.entry[0].resource.name[0].given[0] = ''), 'Bundle.entry[0].resource.name[0].given[0]', 'value'],
  ['Bundle entry deep contained', bundle, (r) => (r.entry[3].resource.contained[0].id = 'med 1'), 'Bundle.entry[3].resource.contained[0].id', 'value'],
  ['Bundle entry resource without type', bundle, (r) => delete r.entry[2].resource.resourceType, 'Bundle.entry[2].resource.resourceType', 'required'],
  ['Parameters resource invalid', parameters, (r) => (r.parameter[0].resource.onsetDateTime = '2019-02-29'), 'Parameters.parameter[0].resource.onsetDateTime', 'value'],
  ['contentReference item unknown element', questionnaire, (r) => (r.item[0].item[0].item[0].foo = 1), 'Questionnaire.item[0].item[0].item[0].foo', 'structure'],
  ['contentReference item missing linkId', questionnaire, (r) => delete r.item[0].item[0].linkId, 'Questionnaire.item[0].item[0].linkId', 'required'],
  // required bindings
  ['Patient.gender not in value set', patient, (r) => (r.gender = 'mal'), 'Patient.gender', 'code-invalid'],
  ['Patient.contact.gender not in value set', patient, (r) => (r.contact[0].gender = 'F'), 'Patient.contact[0].gender', 'code-invalid'],
  ['Observation.status not in value set', observation, (r) => (r.status = 'finished'), 'Observation.status', 'code-invalid'],
  ['Bundle.type not in value set', bundle, (r) => (r.type = 'Transaction'), 'Bundle.type', 'code-invalid'],
  ['Bundle.entry.request.method not in value set', bundle, (r) => (r.entry[0].request.method = 'post'), 'Bundle.entry[0].request.method', 'code-invalid'],
  ['nested item type not in value set', questionnaire, (r) => (r.item[0].item[0].type = 'strin'), 'Questionnaire.item[0].item[0].type', 'code-invalid'],
  ['CodeableConcept code not in value set', condition, (r) => (r.clinicalStatus.coding[0].code = 'actif'), 'Condition.clinicalStatus.coding[0].code', 'code-invalid'],
];

describe('mutations: exactly one error at exactly one path', () => {
  it.each(cases)('%s', (_name, base, fn, expression, code) => {
    const issues = validateBase(mutate(base, fn));
    expect(issues).toEqual([expect.objectContaining({ severity: 'error', code, expression })]);
    expect(issues[0].diagnostics.length).toBeGreaterThan(10);
  });
});

describe('bindings and options', () => {
  it('checks male/mal against administrative-gender', () => {
    expect(validateBase({ resourceType: 'Patient', gender: 'male' })).toEqual([]);
    const [issue] = validateBase({ resourceType: 'Patient', gender: 'mal' });
    expect(issue.diagnostics).toContain('male');
  });

  it('ignores codings of other systems in a required CodeableConcept binding', () => {
    const r = mutate(condition, (c) => c.clinicalStatus.coding.push({ system: 'http://example.org/local', code: 'actif' }));
    expect(validateBase(r)).toEqual([]);
  });

  it('checks Coding values against the bound system only', () => {
    const errors: string[] = [];
    const out = { error: (_c: string, _d: string, extra?: string | number) => errors.push(String(extra)) };
    const type = { code: 'Coding', kind: Kind.Complex, jsonName: 'x', bound: 'Coding' as const };
    const vs = 'http://hl7.org/fhir/ValueSet/administrative-gender';
    checkBinding(out, { system: 'http://hl7.org/fhir/administrative-gender', code: 'male' }, type, vs);
    checkBinding(out, { system: 'http://example.org', code: 'mal' }, type, vs);
    expect(errors).toEqual([]);
    checkBinding(out, { system: 'http://hl7.org/fhir/administrative-gender', code: 'mal' }, type, vs);
    expect(errors).toEqual(['code']);
  });

  it('prefixes expressions with options.path', () => {
    const issues = validateBase(mutate(patient, (p) => (p.name[0].given[1] = '')), { path: 'Bundle.entry[3].resource' });
    expect(issues.map((i) => i.expression)).toEqual(['Bundle.entry[3].resource.name[0].given[1]']);
  });

  it('reports several independent errors', () => {
    const r = mutate(patient, (p) => {
      p.foo = 1;
      p.gender = 'x';
      p.name[0].family = '';
    });
    expect(validateBase(r).map((i) => i.expression).sort()).toEqual(['Patient.foo', 'Patient.gender', 'Patient.name[0].family']);
  });

  it('rejects non-objects as resources', () => {
    expect(validateBase(null)).toEqual([expect.objectContaining({ expression: 'Resource', code: 'structure' })]);
    expect(validateBase([patient])).toHaveLength(1);
    expect(validateBase(undefined)).toHaveLength(1);
  });
});

const SYNTHEA = join(__dirname, '../../../shared/test-data/synthea');
const syntheaFile = existsSync(SYNTHEA) ? readdirSync(SYNTHEA).find((f) => f.endsWith('.json.bz2') && !f.startsWith('0-')) : undefined;

(syntheaFile ? describe : describe.skip)('a real Synthea bundle', () => {
  it('validates every entry without issues', () => {
    const text = execFileSync('bzip2', ['-dc', join(SYNTHEA, syntheaFile!)], { maxBuffer: 1 << 28, encoding: 'utf8' });
    const b = JSON.parse(text);
    expect(validateBase(b)).toEqual([]);
  });
});

// Mutation suite: a valid instance broken in exactly one way yields exactly that issue at that element.
import { loadPackages } from '../../src/conformance/packages';
import { createValidator, type Validator } from '../../src/conformance/validator';
import type { Issue } from '../../src/conformance/issue';
import { luhnComplete, nirWithKey } from '../../src/conformance/french-identifiers';
import * as hub from './hub-profiles.fixtures';
import * as sl from './slicing-profiles.fixtures';
import { SHARED_PACKAGES, verdictsAvailable } from './verdicts';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const describeIfShared = verdictsAvailable ? describe : describe.skip;
const key = (i: Issue) => `${i.severity}|${i.code}|${i.expression}`;

/** Issues the mutation adds to those of the valid instance. */
function added(v: Validator, valid: Json, mutate: (r: Json) => void, context?: string): Issue[] {
  const before = new Set(v.validate(valid, { context }).map(key));
  const broken = structuredClone(valid);
  mutate(broken);
  return v.validate(broken, { context }).filter((i) => !before.has(key(i)));
}

describeIfShared('profile constraint mutations', () => {
  let v: Validator;
  let strict: Validator;
  let read: (pkg: string, file: string) => Json;
  let slicingDir: string;
  afterAll(() => rmSync(slicingDir, { recursive: true, force: true }));

  beforeAll(() => {
    slicingDir = sl.writeSlicingPackage();
    const { registry } = loadPackages({ paths: [SHARED_PACKAGES, join(__dirname, '..', '..', 'profiles'), slicingDir], cacheDir: false });
    v = createValidator({ packages: registry });
    strict = createValidator({ packages: registry, identifierSeverity: 'error' });
    read = (pkg, file) => {
      const [id, version] = pkg.split('#');
      return structuredClone(registry.find(id, version)!.readJson(`example/${file}`));
    };
  });

  const insPatient = () => {
    const p = read('hl7.fhir.fr.core#2.2.0', 'Patient-FRCorePatientExample.json');
    for (const id of p.identifier ?? []) if (id.system === 'urn:oid:1.2.250.1.213.1.4.8') id.value = nirWithKey(id.value.slice(0, 13));
    return p;
  };
  const bmi = () => read('hl7.fhir.fr.core#2.2.0', 'Observation-FRCoreObservationBMIExample.json');
  const bp = () => read('hl7.fhir.fr.core#2.2.0', 'Observation-FRCoreObservationBPExample.json');

  const cases: [string, () => Json, (r: Json) => void, Partial<Issue>[]][] = [
    ['cardinality: profile minimum', () => hub.clean(hub.careTeam()), (r) => delete r.subject, [{ severity: 'error', code: 'required', expression: 'CareTeam.subject' }]],
    ['cardinality: profile maximum', () => insPatient(), (r) => r.name[0].given.push('Yves'), [{ severity: 'error', code: 'structure', expression: 'Patient.name[0].given' }]],
    ['choice type not allowed by the profile', bmi, (r) => { r.valueString = String(r.valueQuantity.value); delete r.valueQuantity; }, [
      // The vital-signs profile slices value[x] by type (closed): the string matches no slice and the Quantity slice is missing.
      { severity: 'error', code: 'structure', expression: 'Observation.valueString' },
      { severity: 'error', code: 'required', expression: 'Observation.value' },
    ]],
    ['fixed value', bmi, (r) => (r.valueQuantity.system = 'http://example.org/units'), [{ severity: 'error', code: 'value', expression: 'Observation.valueQuantity.system' }]],
    ['fixed code in the hub profile', () => hub.clean(hub.postDischargeTask()), (r) => (r.intent = 'plan'), [{ severity: 'error', code: 'value', expression: 'Task.intent' }]],
    ['pattern value', () => hub.clean(hub.dischargeLetter()), (r) => (r.type.coding[0].code = '34133-9'), [{ severity: 'error', code: 'value', expression: 'DocumentReference.type' }]],
    ['slicing, value discriminator: required slice missing', bp, (r) => (r.component[0].code.coding[0].code = '8478-0'), [{ severity: 'error', code: 'required', expression: 'Observation.component' }]],
    ['slicing, pattern discriminator: required slice missing', () => hub.clean(hub.patientSummary()), (r) => (r.section[2].code.coding[0].code = '11348-0'), [{ severity: 'error', code: 'required', expression: 'Composition.section' }]],
    ['extension slicing by url: slice maximum', () => insPatient(), (r) => r.extension.push(structuredClone(r.extension[0])), [{ severity: 'error', code: 'structure', expression: 'Patient.extension' }]],
    ['extension slicing by url: required extension missing', () => insPatient(), (r) => r.extension.splice(0, 1), [{ severity: 'error', code: 'required', expression: 'Patient.extension' }]],
    ['complex extension checked against its definition', () => insPatient(), (r) => { const s = r.extension[1].extension[0]; s.valueString = 'VALI'; delete s.valueCoding; }, [{ severity: 'error', code: 'structure', expression: 'Patient.extension[1].extension[0].valueString' }]],
    ['required binding, held value set', () => insPatient(), (r) => r.extension[1].extension.push({ url: 'validationMode', valueCoding: { system: 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-mode-validation-identity', code: 'XXXX' } }), [{ severity: 'error', code: 'code-invalid', expression: 'Patient.extension[1].extension[1].valueCoding' }]],
    ['extensible binding: warning', () => insPatient(), (r) => (r.extension[1].extension[0].valueCoding.code = 'XXXX'), [{ severity: 'warning', code: 'code-invalid', expression: 'Patient.extension[1].extension[0].valueCoding' }]],
    ['required binding, code system not held: warning only', () => insPatient(), (r) => (r.extension[0].valueAddress.extension[0].valueCoding.code = '99999'), []],
    ['required binding, code from a system outside the value set', () => insPatient(), (r) => (r.extension[0].valueAddress.extension[0].valueCoding.system = 'https://mos.esante.gouv.fr/NOS/TRE_R13-Commune/FHIR/TRE-R13-Commune'), [{ severity: 'error', code: 'code-invalid', expression: 'Patient.extension[0].valueAddress.extension[0].valueCoding' }]],
    ['required binding: one coding in the value set suffices', () => hub.clean(hub.gpRequestTask()), (r) => r.code.coding.push({ system: 'https://fhir-hub.fr/ig/CodeSystem/fhir-hub-task-type', code: 'inconnu' }), []],
    ['FHIRPath invariant, error severity', () => hub.clean(hub.careTeam()), (r) => (r.participant[1].member = { reference: 'RelatedPerson/r-2' }), [{ severity: 'error', code: 'invariant', expression: 'CareTeam' }]],
    ['reference target type', () => hub.clean(hub.communication()), (r) => (r.sender = { reference: 'Patient/p-1' }), [{ severity: 'error', code: 'structure', expression: 'Communication.sender' }]],
    ['every profile in meta.profile', () => hub.clean(hub.postDischargeTask()), (r) => r.meta.profile.push('https://fhir-hub.fr/ig/StructureDefinition/fhir-hub-task-demande-medecin-traitant'), [{ severity: 'error', code: 'value', expression: 'Task.code' }]],
  ];

  it.each(cases)('%s', (_name, make, mutate, expected) => {
    const issues = added(v, make(), mutate).filter((i) => i.severity === 'error' || expected.some((e) => e.severity === i.severity));
    expect(issues).toHaveLength(expected.length);
    expected.forEach((e, n) => expect(issues[n]).toMatchObject(e));
  });

  // Test-only profiles (slicing-profiles.fixtures.ts), one slicing rule or discriminator each.
  const slicingCases: [string, () => Json, (r: Json) => void, Partial<Issue>][] = [
    ['slicing, closed: an item matching no slice', () => sl.identifiers('test-closed', 'urn:test:a'), (r) => r.identifier.push({ system: 'urn:test:other', value: 'x' }), { severity: 'error', code: 'structure', expression: 'Patient.identifier[1]' }],
    ['slicing, openAtEnd: a slice after an unsliced item', () => sl.identifiers('test-open-at-end', 'urn:test:a', 'urn:test:other'), (r) => r.identifier.reverse(), { severity: 'error', code: 'structure', expression: 'Patient.identifier[1]' }],
    ['slicing, ordered: slices out of order', () => sl.identifiers('test-ordered', 'urn:test:a', 'urn:test:b'), (r) => r.identifier.reverse(), { severity: 'error', code: 'structure', expression: 'Patient.identifier[1]' }],
    ['slicing, exists discriminator: the element a slice requires is absent', sl.telecoms, (r) => delete r.telecom[0].period, { severity: 'error', code: 'required', expression: 'Patient.telecom' }],
    ['slicing, exists discriminator: the element a slice forbids is present', sl.telecoms, (r) => (r.telecom[1].period = { start: '2021-01-01' }), { severity: 'error', code: 'structure', expression: 'Patient.telecom' }],
    ['slicing, type discriminator on a choice below the slice: required type missing', sl.components, (r) => { r.component[0].valueString = '70 kg'; delete r.component[0].valueQuantity; }, { severity: 'error', code: 'required', expression: 'Observation.component' }],
    ['slicing, type discriminator on a choice below the slice: type of no slice (closed)', sl.components, (r) => { r.component[1].valueBoolean = true; delete r.component[1].valueString; }, { severity: 'error', code: 'structure', expression: 'Observation.component[1]' }],
  ];

  it.each(slicingCases)('%s', (_name, make, mutate, expected) => {
    const valid = make();
    expect(v.validate(valid).filter((i) => i.severity === 'error')).toEqual([]);
    const issues = added(v, valid, mutate).filter((i) => i.severity === 'error');
    expect(issues).toEqual([expect.objectContaining(expected)]);
  });

  it('ordered and openAtEnd constrain only what they declare: unsliced items anywhere in an open ordered slicing, at the end of openAtEnd', () => {
    const other = (n: number) => ({ system: 'urn:test:other', value: `x${n}` });
    const ordered = sl.identifiers('test-ordered', 'urn:test:a', 'urn:test:b');
    ordered.identifier = [other(0), ordered.identifier[0], other(1), ordered.identifier[1], other(2)];
    expect(v.validate(ordered).filter((i) => i.severity === 'error')).toEqual([]);
    const atEnd = sl.identifiers('test-open-at-end', 'urn:test:a', 'urn:test:other', 'urn:test:other2');
    expect(v.validate(atEnd).filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('a code system the hub does not hold gives a warning, never an error', () => {
    const issues = added(v, insPatient(), (r) => (r.extension[0].valueAddress.extension[0].valueCoding.code = '99999'));
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('a warning-severity invariant stays a warning (dom-6, narrative)', () => {
    const valid = hub.clean(hub.careTeam()) as Json;
    valid.text = { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Équipe</div>' };
    const issues = added(v, valid, (r) => delete r.text);
    expect(issues).toEqual([expect.objectContaining({ severity: 'warning', code: 'invariant', expression: 'CareTeam' })]);
  });

  describe('French identifier keys', () => {
    const withIdentifier = (system: string, value: string) => ({ resourceType: 'Practitioner', id: 'x', identifier: [{ system, value }] });
    const rpps = luhnComplete('1000000000');
    const finess = luhnComplete('75000000');
    const siren = luhnComplete('73282932');
    const siret = luhnComplete(`${siren}0001`);
    const idCases: [string, string, string, string][] = [
      ['INS-NIR key', 'urn:oid:1.2.250.1.213.1.4.8', nirWithKey('1850275123456'), `1850275123456${nirWithKey('1850275123456').endsWith('01') ? '02' : '01'}`],
      ['RPPS Luhn', 'https://rpps.esante.gouv.fr', rpps, rpps.slice(0, 10) + ((Number(rpps[10]) + 1) % 10)],
      ['idNat_PS prefix', 'urn:oid:1.2.250.1.71.4.2.1', `8${rpps}`, `9${rpps}`],
      ['FINESS Luhn', 'https://finess.esante.gouv.fr', finess, finess.slice(0, 8) + ((Number(finess[8]) + 1) % 10)],
      ['SIREN Luhn', 'https://sirene.fr', siren, siren.slice(0, 8) + ((Number(siren[8]) + 1) % 10)],
      ['SIRET Luhn', 'https://sirene.fr', siret, siret.slice(0, 13) + ((Number(siret[13]) + 1) % 10)],
    ];
    it.each(idCases)('%s: a broken key is a warning at the value (error when configured)', (_n, system, good, bad) => {
      expect(v.validate(withIdentifier(system, good))).toEqual([]);
      expect(v.validate(withIdentifier(system, bad))).toEqual([expect.objectContaining({ severity: 'warning', expression: 'Practitioner.identifier[0].value' })]);
      expect(strict.validate(withIdentifier(system, bad))).toEqual([expect.objectContaining({ severity: 'error', expression: 'Practitioner.identifier[0].value' })]);
    });
  });
});

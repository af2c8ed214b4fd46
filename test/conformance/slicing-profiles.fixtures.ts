// Test-only profiles (differentials) for the slicing rules and discriminators of FHIR R4 §5.1.0.10, written as a package folder.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const CANONICAL = 'https://example.org/fhir-hub-test/StructureDefinition';
export const url = (id: string) => `${CANONICAL}/${id}`;

function sd(id: string, type: string, element: Json[]): Json {
  return {
    resourceType: 'StructureDefinition', id, url: url(id), version: '0.0.1', name: id.replace(/-/g, ''), status: 'draft', fhirVersion: '4.0.1',
    kind: 'resource', abstract: false, type, baseDefinition: `http://hl7.org/fhir/StructureDefinition/${type}`, derivation: 'constraint',
    differential: { element: [{ id: type, path: type }, ...element] },
  };
}

/** Patient.identifier sliced by system with the given rules; one slice per system. */
function identifierSlicing(id: string, rules: string, ordered: boolean, systems: Record<string, string>): Json {
  const slices = Object.entries(systems).flatMap(([name, system]) => [
    { id: `Patient.identifier:${name}`, path: 'Patient.identifier', sliceName: name, min: 0, max: '1' },
    { id: `Patient.identifier:${name}.system`, path: 'Patient.identifier.system', min: 1, fixedUri: system },
  ]);
  return sd(id, 'Patient', [{ id: 'Patient.identifier', path: 'Patient.identifier', slicing: { discriminator: [{ type: 'value', path: 'system' }], rules, ordered } }, ...slices]);
}

export const PROFILES: Json[] = [
  identifierSlicing('test-closed', 'closed', false, { a: 'urn:test:a' }),
  identifierSlicing('test-open-at-end', 'openAtEnd', false, { a: 'urn:test:a' }),
  identifierSlicing('test-ordered', 'open', true, { a: 'urn:test:a', b: 'urn:test:b' }),
  // exists: a telecom with a period is 'dated' (exactly one required), one without is 'undated'.
  sd('test-exists', 'Patient', [
    { id: 'Patient.telecom', path: 'Patient.telecom', slicing: { discriminator: [{ type: 'exists', path: 'period' }], rules: 'closed', ordered: false } },
    { id: 'Patient.telecom:dated', path: 'Patient.telecom', sliceName: 'dated', min: 1, max: '1' },
    { id: 'Patient.telecom:dated.period', path: 'Patient.telecom.period', min: 1 },
    { id: 'Patient.telecom:undated', path: 'Patient.telecom', sliceName: 'undated', min: 0, max: '*' },
    { id: 'Patient.telecom:undated.period', path: 'Patient.telecom.period', max: '0' },
  ]),
  // type discriminator on a choice element below the sliced one: component.value[x] told apart by its JSON key.
  sd('test-type-choice', 'Observation', [
    { id: 'Observation.component', path: 'Observation.component', slicing: { discriminator: [{ type: 'type', path: 'value' }], rules: 'closed', ordered: false } },
    { id: 'Observation.component:measured', path: 'Observation.component', sliceName: 'measured', min: 1, max: '1' },
    { id: 'Observation.component:measured.value[x]', path: 'Observation.component.value[x]', min: 1, type: [{ code: 'Quantity' }] },
    { id: 'Observation.component:note', path: 'Observation.component', sliceName: 'note', min: 0, max: '*' },
    { id: 'Observation.component:note.value[x]', path: 'Observation.component.value[x]', min: 1, type: [{ code: 'string' }] },
  ]),
];

/** Writes the profiles as an unpacked package folder (`package/package.json` + resources) and returns it. */
export function writeSlicingPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-slicing-profiles-'));
  const pkg = join(dir, 'package');
  mkdirSync(pkg);
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'fhir-hub.test.slicing', version: '0.0.1', fhirVersions: ['4.0.1'], dependencies: { 'hl7.fhir.r4.core': '4.0.1' } }));
  for (const p of PROFILES) writeFileSync(join(pkg, `StructureDefinition-${p.id}.json`), JSON.stringify(p));
  return dir;
}

const meta = (id: string) => ({ profile: [url(id)] });
export const identifiers = (profile: string, ...systems: string[]): Json => ({
  resourceType: 'Patient', id: 'p', meta: meta(profile), identifier: systems.map((system, i) => ({ system, value: `v${i}` })),
});
export const telecoms = (): Json => ({
  resourceType: 'Patient', id: 'p', meta: meta('test-exists'),
  telecom: [{ system: 'phone', value: '0102030405', period: { start: '2020-01-01' } }, { system: 'email', value: 'a@example.org' }],
});
export const components = (): Json => ({
  resourceType: 'Observation', id: 'o', meta: meta('test-type-choice'), status: 'final', code: { text: 'panel' },
  component: [{ code: { text: 'weight' }, valueQuantity: { value: 70, unit: 'kg' } }, { code: { text: 'remark' }, valueString: 'after meal' }],
});

// The hub's own package (profiles/): snapshots generated from differentials, and its example instances.
import { join } from 'node:path';
import { loadPackages } from '../../src/conformance/packages';
import { createValidator, type Validator } from '../../src/conformance/validator';
import { ProfileCache } from '../../src/conformance/profile/profile-cache';
import * as hub from './hub-profiles.fixtures';
import { SHARED_PACKAGES, verdictsAvailable } from './verdicts';

const describeIfShared = verdictsAvailable ? describe : describe.skip;
const HUB = 'https://fhir-hub.fr/ig/StructureDefinition';

describeIfShared('hub profiles (profiles/)', () => {
  let v: Validator;
  let cache: ProfileCache;

  beforeAll(() => {
    const { registry, missing } = loadPackages({ paths: [SHARED_PACKAGES, join(__dirname, '..', '..', 'profiles')], cacheDir: false });
    expect(missing.filter((m) => m.requiredBy.includes('fhir-hub.fr.coordination#0.1.0'))).toEqual([]);
    v = createValidator({ packages: registry });
    cache = new ProfileCache(registry);
  });

  it('generates snapshots from the differentials, down into datatypes and slices', () => {
    const task = cache.get(`${HUB}/fhir-hub-task-consultation-post-sortie`)!;
    const restriction = task.root.children.find((c) => c.name === 'restriction')!;
    const end = restriction.children.find((c) => c.name === 'period')!.children.find((c) => c.name === 'end')!;
    expect([restriction.min, end.min]).toEqual([1, 1]);
    const summary = cache.get(`${HUB}/fhir-hub-patient-summary`)!;
    const section = summary.root.children.find((c) => c.name === 'section')!;
    expect(section.slices.map((s) => [s.sliceName, s.min, s.max])).toEqual([
      ['problemes', 1, 1],
      ['traitements', 1, 1],
      ['allergies', 1, 1],
      ['vaccinations', 0, 1],
      ['equipe-de-soins', 0, 1],
      ['plans-de-soins', 0, 1],
      ['courriers', 0, 1],
      ['signes-vitaux', 0, 1],
    ]);
    expect(section.slices[0].children.find((c) => c.name === 'code')!.pattern).toEqual({ coding: [{ system: 'http://loinc.org', code: '11450-4' }] });
    // Base elements the differential does not touch are kept with their base cardinality.
    expect(task.root.children.find((c) => c.name === 'status')!.min).toBe(1);
  });

  const valid: [string, () => object][] = [
    ['multi-organisation CareTeam', hub.careTeam],
    ['CarePlan', hub.carePlan],
    ['Communication', hub.communication],
    ['post-discharge Task', hub.postDischargeTask],
    ['médecin-traitant request Task', hub.gpRequestTask],
    ['lettre de liaison', hub.dischargeLetter],
    ['patient summary', hub.patientSummary],
  ];
  it.each(valid)('%s example is valid', (_name, make) => {
    expect(v.validate(hub.clean(make())).filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('rejects a care team with one health professional', () => {
    const ct = hub.clean(hub.careTeam()) as { participant: { member: { reference: string } }[] };
    ct.participant[0].member = { reference: 'Patient/p-1' };
    expect(v.validate(ct).filter((i) => i.severity === 'error')).toEqual([expect.objectContaining({ code: 'invariant', expression: 'CareTeam', diagnostics: expect.stringContaining('hub-ct-1') })]);
  });

  it('rejects a care team within a single organisation', () => {
    const ct = hub.clean(hub.careTeam()) as { participant: { onBehalfOf?: unknown }[]; managingOrganization?: unknown };
    ct.participant.forEach((p) => delete p.onBehalfOf);
    expect(v.validate(ct).filter((i) => i.severity === 'error')).toEqual([expect.objectContaining({ code: 'invariant', diagnostics: expect.stringContaining('hub-ct-2') })]);
  });

  it('rejects a post-discharge task without a deadline or an owner', () => {
    const task = hub.clean(hub.postDischargeTask()) as { restriction?: unknown; owner?: unknown };
    delete task.restriction;
    delete task.owner;
    const errors = v.validate(task).filter((i) => i.severity === 'error');
    expect(errors.map((i) => i.expression).sort()).toEqual(['Task.owner', 'Task.restriction']);
  });

  it('rejects a summary that lacks its allergies section', () => {
    const summary = hub.clean(hub.patientSummary()) as { section: unknown[] };
    summary.section.pop();
    const errors = v.validate(summary).filter((i) => i.severity === 'error');
    expect(errors).toEqual([expect.objectContaining({ code: 'required', expression: 'Composition.section' })]);
  });
});

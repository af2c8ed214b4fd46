// Replays the IG Publisher's verdicts on the 147 official French examples (../shared/fhir-packages).
import { loadPackages } from '../../src/conformance/packages';
import { createValidator, type Validator } from '../../src/conformance/validator';
import { classify, loadVerdicts, normalizeLocation, replay, sameElement, SHARED_PACKAGES, verdictsAvailable, type PackageFigures } from './verdicts';

const describeIfShared = verdictsAvailable ? describe : describe.skip;

describe('verdict helpers', () => {
  it('turns publisher locations into FHIRPath', () => {
    expect(normalizeLocation('Patient.extension[1].value.ofType(Address).extension[0].value.ofType(Coding)')).toBe('Patient.extension[1].valueAddress.extension[0].valueCoding');
    expect(normalizeLocation('Bundle.entry[3].resource/*Patient/0d92*/.name')).toBe('Bundle.entry[3].resource.name');
  });

  it('matches the same element or its direct parent, nothing further', () => {
    expect(sameElement('Person.meta.profile', 'Person.meta')).toBe(true);
    expect(sameElement('Bundle.entry', 'Bundle')).toBe(true);
    expect(sameElement('Patient.name[0].given[0]', 'Patient')).toBe(false);
    expect(sameElement('Patient.identifier[1]', 'Patient.identifier[0]')).toBe(false);
  });

  it('never counts an unmatched error as reproduced', () => {
    const e = { location: 'Patient.name[0]', message: 'Constraint failed', source: 'instance-validator' };
    expect(classify(e, [{ severity: 'error', code: 'value', expression: 'Patient.gender', diagnostics: '' }])).toBe('missed');
    expect(classify(e, [{ severity: 'error', code: 'value', expression: 'Patient.name[0]', diagnostics: '' }])).toBe('reproduced');
  });
});

describeIfShared('IG Publisher verdicts on the official French examples', () => {
  let validator: Validator;
  let figures: PackageFigures[];

  beforeAll(() => {
    const { registry, elapsedMs } = loadPackages({ paths: [SHARED_PACKAGES], cacheDir: false });
    validator = createValidator({ packages: registry });
    const verdicts = loadVerdicts();
    figures = replay(validator, verdicts, (v) => registry.find(v.package, v.version)!.readJson(`example/${v.example}`));
    const lines = figures.map(
      (f) =>
        `${f.key.padEnd(40)} clean ${f.cleanAgreed}/${f.cleanExamples}  in error ${f.errorExamplesFlagged}/${f.errorExamples}  ` +
        `publisher errors ${f.publisherErrors}: reproduced ${f.reproduced}, missing dependency ${f.dependency}, unresolvable reference ${f.reference}, missed ${f.missed}`,
    );
    console.log(`packages loaded in ${elapsedMs.toFixed(0)} ms\n${lines.join('\n')}`);
  });

  it('covers all 147 examples of the 11 packages', () => {
    expect(figures).toHaveLength(11);
    expect(figures.reduce((n, f) => n + f.examples, 0)).toBe(147);
  });

  it('reports no error on any example the publisher found free of errors', () => {
    expect(figures.flatMap((f) => f.falseErrors)).toEqual([]);
    expect(figures.reduce((n, f) => n + f.cleanExamples, 0)).toBe(107);
  });

  it('reproduces every publisher error at the same element, unless a dependency or a reference target is missing', () => {
    expect(figures.flatMap((f) => f.missedErrors)).toEqual([]);
    const total = (k: 'reproduced' | 'dependency' | 'reference') => figures.reduce((n, f) => n + f[k], 0);
    expect(total('reproduced') + total('dependency') + total('reference')).toBe(104);
    // Figures recorded in docs/conformance.md: a change means the document needs updating too.
    expect([total('reproduced'), total('dependency'), total('reference')]).toEqual([42, 27, 35]);
  });
});

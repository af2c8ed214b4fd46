// SearchParameters of the loaded FHIR packages (FHIR R4 §3.1.1; packages per the FHIR NPM package spec):
// each adds the codes it defines for its bases, newest package version first. A code a base already
// has (base R4, or a package read earlier) keeps its first definition: the French guides redefine a few
// base codes (Slot.start, List.source) and define some twice (Appointment.start), and silently changing
// what a base parameter means would change every client's answers.
import type { SearchParameter } from '@medplum/fhirtypes';
import { compareVersions, type PackageRegistry } from '../../conformance/packages';
import { resourceTypes } from '../definitions';
import { SearchParamRegistry } from './registry';

export interface PackageParamsReport {
  added: string[];
  kept: string[];
}

export function registerPackageSearchParameters(registry: SearchParamRegistry, packages: PackageRegistry): PackageParamsReport {
  const newest = new Map<string, { version: string; sp: SearchParameter }>();
  for (const { pkg, entry } of packages.listResources('SearchParameter')) {
    const sp = pkg.readJson(entry.filename) as unknown as SearchParameter | undefined;
    if (!sp?.url) continue;
    const seen = newest.get(sp.url);
    if (!seen || compareVersions(pkg.version, seen.version) > 0) newest.set(sp.url, { version: pkg.version, sp });
  }
  const report: PackageParamsReport = { added: [], kept: [] };
  for (const { sp } of newest.values()) {
    if (sp.status === 'retired' || SearchParamRegistry.problem(sp, resourceTypes())) continue;
    // A Resource-wide parameter is new only if no type has its code yet (Patient stands for them all).
    const isNew = (b: string) => !registry.get(b === 'Resource' || b === 'DomainResource' ? 'Patient' : b, sp.code!);
    const bases = (sp.base as string[]).filter(isNew);
    const kept = (sp.base as string[]).filter((b) => !bases.includes(b));
    report.kept.push(...kept.map((b) => `${b}.${sp.code}`));
    if (bases.length === 0) continue;
    registry.add({ ...sp, base: bases as SearchParameter['base'] });
    report.added.push(...bases.map((b) => `${b}.${sp.code}`));
  }
  return report;
}

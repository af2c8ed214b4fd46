// FHIR package loading and canonical resolution (FHIR NPM package specification).
export { loadPackage, FhirPackage, type PackageManifest, type IndexedResource } from './fhir-package';
export { PackageRegistry, compareVersions, type MissingDependency, type Resolved } from './registry';
export { loadPackages, defaultPackagePaths, defaultCacheDir, describeMissing, type LoadOptions, type LoadReport } from './load';
export { CorePackage } from './core-package';

// Package discovery: FHIR_PACKAGE_PATH folders, the hub's profiles/ and the FHIR package cache (~/.fhir/packages or FHIR_PACKAGE_CACHE).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { isPackageFolder, loadPackage, type FhirPackage } from './fhir-package';
import { PackageRegistry, type MissingDependency } from './registry';

export interface LoadOptions {
  /** Folders holding `.tgz` packages or unpacked package folders; default FHIR_PACKAGE_PATH or the repo defaults. */
  paths?: string[];
  /** Package cache folder; default FHIR_PACKAGE_CACHE or ~/.fhir/packages. `false` skips it. */
  cacheDir?: string | false;
  /** Repository root for the default paths. */
  repoRoot?: string;
}

export interface LoadReport {
  registry: PackageRegistry;
  /** Files or folders that could not be read as packages. */
  failures: { location: string; error: string }[];
  missing: MissingDependency[];
  elapsedMs: number;
}

export function defaultPackagePaths(repoRoot = resolve(__dirname, '../../..')): string[] {
  const fromEnv = process.env.FHIR_PACKAGE_PATH;
  if (fromEnv) return fromEnv.split(delimiter).filter(Boolean);
  return [join(repoRoot, '..', 'shared', 'fhir-packages'), join(repoRoot, 'profiles')].filter((p) => existsSync(p));
}

/** The FHIR package cache (`<id>#<version>/package/...`): FHIR_PACKAGE_CACHE, else ~/.fhir/packages. */
export function defaultCacheDir(): string {
  return process.env.FHIR_PACKAGE_CACHE || join(homedir(), '.fhir', 'packages');
}

function candidates(folder: string): string[] {
  if (!existsSync(folder)) return [];
  if (isPackageFolder(folder)) return [folder];
  return readdirSync(folder)
    .map((name) => join(folder, name))
    .filter((p) => (p.endsWith('.tgz') ? true : statSync(p).isDirectory() && isPackageFolder(p)));
}

export function loadPackages(options: LoadOptions = {}): LoadReport {
  const start = process.hrtime.bigint();
  const folders = options.paths ?? defaultPackagePaths(options.repoRoot);
  const cache = options.cacheDir === false ? undefined : options.cacheDir ?? defaultCacheDir();
  const locations = [...folders.flatMap(candidates), ...(cache ? candidates(cache) : [])];
  const packages: FhirPackage[] = [];
  const failures: LoadReport['failures'] = [];
  for (const location of locations) {
    try {
      packages.push(loadPackage(location));
    } catch (e) {
      failures.push({ location, error: (e as Error).message });
    }
  }
  const registry = new PackageRegistry(packages);
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  return { registry, failures, missing: registry.missingDependencies(), elapsedMs };
}

/** One line per missing dependency, for the start-up log and `packages list`. */
export function describeMissing(missing: MissingDependency[]): string[] {
  return missing.map((m) => `missing FHIR package ${m.id}#${m.version} (required by ${m.requiredBy.join(', ')})`);
}

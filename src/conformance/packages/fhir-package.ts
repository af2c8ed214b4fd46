// FHIR NPM package layout (FHIR package spec: package/package.json, package/.index.json, package/example/).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readTar } from './tar';

export interface PackageManifest {
  name: string;
  version: string;
  canonical?: string;
  fhirVersions?: string[];
  dependencies?: Record<string, string>;
  title?: string;
}

/** One conformance resource of a package, as listed by `.index.json` (parsed on first use). */
export interface IndexedResource {
  filename: string;
  resourceType: string;
  id?: string;
  url?: string;
  version?: string;
  type?: string;
  kind?: string;
}

type Json = Record<string, unknown>;

export class FhirPackage {
  readonly id: string;
  readonly version: string;
  readonly dependencies: Record<string, string>;
  private indexCache?: IndexedResource[];
  private readonly parsed = new Map<string, Json>();

  constructor(
    readonly manifest: PackageManifest,
    /** Where it was loaded from (file or folder), for messages. */
    readonly source: string,
    /** Raw file content by path relative to `package/` (e.g. `example/Patient-x.json`). */
    private readonly files: Map<string, () => Buffer>,
  ) {
    this.id = manifest.name;
    this.version = manifest.version;
    this.dependencies = manifest.dependencies ?? {};
  }

  get key(): string {
    return `${this.id}#${this.version}`;
  }

  fileNames(): string[] {
    return [...this.files.keys()];
  }

  /** Example instances (files under `package/example/`). */
  exampleNames(): string[] {
    return this.fileNames()
      .filter((f) => f.startsWith('example/') && f.endsWith('.json'))
      .map((f) => f.slice('example/'.length));
  }

  readJson(name: string): Json | undefined {
    let json = this.parsed.get(name);
    if (!json) {
      const load = this.files.get(name);
      if (!load) return undefined;
      json = JSON.parse(load().toString('utf8')) as Json;
      this.parsed.set(name, json);
    }
    return json;
  }

  /** Conformance resources at the package root, from `.index.json` or by reading them when it is absent. */
  index(): IndexedResource[] {
    if (this.indexCache) return this.indexCache;
    const declared = this.files.has('.index.json') ? (this.readJson('.index.json')?.files as IndexedResource[]) : undefined;
    this.indexCache =
      declared ??
      this.fileNames()
        .filter((f) => !f.includes('/') && f.endsWith('.json') && f !== 'package.json' && !f.startsWith('.'))
        .map((filename) => {
          const r = this.readJson(filename) as Json;
          return { filename, resourceType: String(r.resourceType), id: r.id as string, url: r.url as string, version: r.version as string };
        });
    return this.indexCache;
  }
}

/** Loads a package from a `.tgz` (npm layout) or from a folder (`package/package.json` or `package.json` at its root). */
export function loadPackage(location: string): FhirPackage {
  if (statSync(location).isDirectory()) return loadFolder(location);
  const files = new Map<string, () => Buffer>();
  for (const entry of readTar(readFileSync(location))) {
    const name = entry.name.startsWith('package/') ? entry.name.slice('package/'.length) : undefined;
    if (name) files.set(name, () => entry.data);
  }
  return fromFiles(files, location);
}

function loadFolder(dir: string): FhirPackage {
  const root = existsSync(join(dir, 'package', 'package.json')) ? join(dir, 'package') : dir;
  const files = new Map<string, () => Buffer>();
  const walk = (sub: string): void => {
    for (const entry of readdirSync(join(root, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(rel);
      } else if (entry.name.endsWith('.json')) {
        files.set(rel, () => readFileSync(join(root, rel)));
      }
    }
  };
  walk('');
  return fromFiles(files, dir);
}

function fromFiles(files: Map<string, () => Buffer>, source: string): FhirPackage {
  const manifest = files.get('package.json');
  if (!manifest) throw new Error(`${source}: no package/package.json`);
  const parsed = JSON.parse(manifest().toString('utf8')) as PackageManifest;
  if (!parsed.name || !parsed.version) throw new Error(`${source}: package.json lacks name or version`);
  return new FhirPackage(parsed, source, files);
}

/** True when a folder looks like one unpacked package rather than a folder of packages. */
export function isPackageFolder(dir: string): boolean {
  return existsSync(join(dir, 'package', 'package.json')) || existsSync(join(dir, 'package.json'));
}

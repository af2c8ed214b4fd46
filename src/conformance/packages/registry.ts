// Canonical resolution across FHIR packages (FHIR package spec; canonical references `url|version`),
// following each package's declared dependencies.
import { CorePackage, CORE_PACKAGE_ID, isCoreCanonical } from './core-package';
import type { FhirPackage, IndexedResource } from './fhir-package';

type Json = Record<string, unknown>;

export interface MissingDependency {
  id: string;
  version: string;
  requiredBy: string[];
}

export interface Resolved {
  resource: Json;
  /** Package the resource comes from: the context for resolving what it references. */
  pkg: FhirPackage | CorePackage;
}

interface Candidate {
  pkg: FhirPackage;
  entry: IndexedResource;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const diff = x !== '' && y !== '' && !isNaN(nx) && !isNaN(ny) ? nx - ny : x === '' ? 1 : y === '' ? -1 : x.localeCompare(y);
    if (diff !== 0) return diff;
  }
  return 0;
}

export class PackageRegistry {
  readonly core = new CorePackage();
  private readonly byKey = new Map<string, FhirPackage>();
  private byUrl?: Map<string, Candidate[]>;
  private readonly closures = new Map<string, FhirPackage[]>();

  constructor(packages: FhirPackage[]) {
    for (const p of packages) if (!this.byKey.has(p.key)) this.byKey.set(p.key, p);
  }

  packages(): FhirPackage[] {
    return [...this.byKey.values()];
  }

  find(id: string, version?: string): FhirPackage | undefined {
    if (version) return this.byKey.get(`${id}#${version}`);
    return this.packages()
      .filter((p) => p.id === id)
      .sort((a, b) => compareVersions(b.version, a.version))[0];
  }

  /** Declared dependencies that no loaded package satisfies, each listed once. */
  missingDependencies(): MissingDependency[] {
    const missing = new Map<string, MissingDependency>();
    for (const p of this.packages()) {
      for (const [id, version] of Object.entries(p.dependencies)) {
        if (id === CORE_PACKAGE_ID || this.byKey.has(`${id}#${version}`)) continue;
        const key = `${id}#${version}`;
        const m = missing.get(key) ?? { id, version, requiredBy: [] };
        m.requiredBy.push(p.key);
        missing.set(key, m);
      }
    }
    return [...missing.values()];
  }

  /** A package and the packages it depends on, transitively, nearest first. */
  closure(pkg: FhirPackage): FhirPackage[] {
    let out = this.closures.get(pkg.key);
    if (out) return out;
    out = [];
    const seen = new Set<string>();
    const queue: FhirPackage[] = [pkg];
    while (queue.length) {
      const p = queue.shift()!;
      if (seen.has(p.key)) continue;
      seen.add(p.key);
      out.push(p);
      for (const [id, version] of Object.entries(p.dependencies)) {
        const dep = this.byKey.get(`${id}#${version}`);
        if (dep) queue.push(dep);
      }
    }
    this.closures.set(pkg.key, out);
    return out;
  }

  /**
   * Resolves `url` or `url|version`. With a context package, an unversioned canonical resolves
   * within that package's dependency closure only (as its publisher saw it); without one, to the
   * highest version loaded. Base R4 canonicals resolve to the built-in core package.
   */
  resolve(canonical: string, context?: FhirPackage | CorePackage): Resolved | undefined {
    const bar = canonical.indexOf('|');
    const url = bar < 0 ? canonical : canonical.slice(0, bar);
    const version = bar < 0 ? undefined : canonical.slice(bar + 1);
    const candidates = this.index().get(url) ?? [];
    let chosen: Candidate | undefined;
    if (version !== undefined) {
      chosen = candidates.find((c) => (c.entry.version ?? c.pkg.version) === version);
    } else if (context && context !== this.core) {
      for (const p of this.closure(context as FhirPackage)) {
        chosen = candidates.find((c) => c.pkg === p);
        if (chosen) break;
      }
    } else if (!context) {
      chosen = [...candidates].sort((a, b) => compareVersions(b.pkg.version, a.pkg.version))[0];
    }
    if (chosen) {
      const resource = chosen.pkg.readJson(chosen.entry.filename);
      if (resource) return { resource, pkg: chosen.pkg };
    }
    if (isCoreCanonical(url)) {
      const resource = this.core.resolve(url);
      if (resource) return { resource, pkg: this.core };
    }
    return undefined;
  }

  /** All loaded resources of a type (e.g. every StructureDefinition), across packages. */
  listResources(resourceType: string): { pkg: FhirPackage; entry: IndexedResource }[] {
    return this.packages().flatMap((pkg) => pkg.index().filter((e) => e.resourceType === resourceType).map((entry) => ({ pkg, entry })));
  }

  private index(): Map<string, Candidate[]> {
    if (this.byUrl) return this.byUrl;
    this.byUrl = new Map();
    for (const pkg of this.packages()) {
      for (const entry of pkg.index()) {
        if (!entry.url) continue;
        const list = this.byUrl.get(entry.url) ?? [];
        list.push({ pkg, entry });
        this.byUrl.set(entry.url, list);
      }
    }
    return this.byUrl;
  }
}

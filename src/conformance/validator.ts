// Entry point of conformance validation (FHIR R4 §2.4 profiles and validation): base R4 structure,
// every profile in meta.profile plus required ones, nested resources' own profiles, French identifier keys.
import { validateBase } from './base';
import { checkFrenchIdentifiers } from './french-identifiers';
import type { Issue } from './issue';
import { loadPackages, type LoadOptions } from './packages/load';
import type { MissingDependency, PackageRegistry } from './packages/registry';
import type { PackageContext } from './profile/model';
import { ProfileCache } from './profile/profile-cache';
import { makeResolver } from './profile/resolver';
import { ProfileRun } from './profile/walker';
import { ValueSetCatalog } from './profile/valuesets';
import { checkAttachments, checkContainedReferenced } from './resource-rules';

type Json = Record<string, unknown>;
export type OperationOutcomeIssue = Issue;

export interface ValidatorOptions {
  /** A loaded registry, or where to load packages from (default: FHIR_PACKAGE_PATH / repo defaults + ~/.fhir/packages). */
  packages?: PackageRegistry | LoadOptions;
  /** Profiles every resource of a type must meet, e.g. { Patient: ['https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient'] }. */
  requiredProfiles?: Record<string, string[]>;
  /** Severity of French identifier key failures (default warning). */
  identifierSeverity?: 'warning' | 'error';
}

export interface ValidateOptions {
  /** Extra profiles to validate against (e.g. $validate?profile=). */
  profiles?: string[];
  /**
   * Resolve unversioned profiles as this package sees them (`id#version`), i.e. within its declared
   * dependencies, as its publisher's validator did. Default: the highest version the hub holds.
   */
  context?: string;
}

export interface Validator {
  registry: PackageRegistry;
  missing: MissingDependency[];
  validate(resource: unknown, options?: ValidateOptions): OperationOutcomeIssue[];
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isRegistry(p: ValidatorOptions['packages']): p is PackageRegistry {
  return typeof (p as PackageRegistry | undefined)?.resolve === 'function';
}

export function createValidator(options: ValidatorOptions = {}): Validator {
  let registry: PackageRegistry;
  let missing: MissingDependency[];
  if (isRegistry(options.packages)) {
    registry = options.packages;
    missing = registry.missingDependencies();
  } else {
    const report = loadPackages(options.packages ?? {});
    registry = report.registry;
    missing = report.missing;
  }
  const profiles = new ProfileCache(registry);
  const valueSets = new ValueSetCatalog(registry);
  const required = options.requiredProfiles ?? {};

  function validateProfiles(resource: Json, path: string, urls: string[], bundle: Json | undefined, issues: Issue[], notHeld: Map<string, Issue>, ctx: PackageContext | undefined): void {
    const env = {
      registry,
      valueSets,
      profiles,
      root: resource,
      rootResource: resource,
      bundle,
      resolve: makeResolver(resource, bundle),
      inBundle: bundle !== undefined,
      notHeld: (kind: string, canonical: string, at: string) => {
        if (!notHeld.has(canonical)) {
          notHeld.set(canonical, { severity: 'warning', code: 'not-supported', expression: at, diagnostics: `The ${kind} ${canonical} is not held by the hub (missing package?): what depends on it was not checked` });
        }
      },
    };
    for (const url of urls) {
      const profile = profiles.get(url, ctx);
      if (!profile) {
        env.notHeld('profile', url, path);
        continue;
      }
      const run = new ProfileRun(env);
      run.validate(resource, profile, path);
      issues.push(...run.issues);
    }
  }

  function validateNested(resource: Json, path: string, bundle: Json | undefined, issues: Issue[], notHeld: Map<string, Issue>, ctx: PackageContext | undefined): void {
    issues.push(...checkContainedReferenced(resource, path));
    const nested: [Json, string, Json | undefined][] = [];
    if (Array.isArray(resource.contained)) resource.contained.forEach((c, i) => isObject(c) && nested.push([c, `${path}.contained[${i}]`, bundle]));
    if (resource.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
      resource.entry.forEach((e, i) => isObject(e) && isObject(e.resource) && nested.push([e.resource, `${path}.entry[${i}].resource`, resource]));
    }
    for (const [child, at, inBundle] of nested) {
      const declared = ((child.meta as Json | undefined)?.profile as string[] | undefined) ?? [];
      if (declared.length) validateProfiles(child, at, declared, inBundle, issues, notHeld, ctx);
      validateNested(child, at, inBundle, issues, notHeld, ctx);
    }
  }

  return {
    registry,
    missing,
    validate(resource: unknown, validateOptions: ValidateOptions = {}): Issue[] {
      const issues = validateBase(resource).map(fhirPathOfPrimitiveExtension);
      if (!isObject(resource) || typeof resource.resourceType !== 'string') return issues;
      const type = resource.resourceType;
      const notHeld = new Map<string, Issue>();
      const declared = ((resource.meta as Json | undefined)?.profile as string[] | undefined) ?? [];
      const urls = [...new Set([...declared, ...(required[type] ?? []), ...(validateOptions.profiles ?? [])])];
      const ctx = validateOptions.context ? contextPackage(registry, validateOptions.context) : undefined;
      validateProfiles(resource, type, urls, undefined, issues, notHeld, ctx);
      validateNested(resource, type, undefined, issues, notHeld, ctx);
      issues.push(...checkAttachments(resource, type));
      issues.push(...checkFrenchIdentifiers(resource, { severity: options.identifierSeverity ?? 'warning' }));
      issues.push(...notHeld.values());
      return dedupe(issues);
    },
  };
}

/** `Patient._name.extension[0]` (JSON) is `Patient.name.extension[0]` in FHIRPath. */
function fhirPathOfPrimitiveExtension(issue: Issue): Issue {
  const e = issue.expression;
  if (!e || !e.includes('._')) return issue;
  return { ...issue, expression: e.replace(/\._(\w+)((?:\[\d+\])?\.(?:extension|id)\b)/g, '.$1$2') };
}

function contextPackage(registry: PackageRegistry, key: string): PackageContext {
  const [id, version] = key.split('#');
  const pkg = registry.find(id, version);
  if (!pkg) throw new Error(`Unknown package ${key}`);
  return pkg;
}

/** One issue per (severity, code, expression): base and profile checks often see the same fault. */
function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.severity}|${i.code}|${i.expression ?? ''}|${i.code === 'invariant' ? i.diagnostics : ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
